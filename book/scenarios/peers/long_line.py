"""Send one line longer than lesson 05's limit and show every reply line.

    python3 long_line.py PORT

Connects to 127.0.0.1:PORT, reads the greeting, sends 70,000 `x` and a
newline, then prints each line received (as Python bytes) until EOF.
"""
import socket
import sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
replies = sock.makefile("rb")
print("<", replies.readline(), flush=True)
sock.sendall(b"x" * 70_000 + b"\n")
while line := replies.readline():
    print("<", line, flush=True)
print("< b'' (EOF)", flush=True)
