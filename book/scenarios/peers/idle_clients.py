"""Open N connections to a loopback server and stay silent (lesson 06).

    python3 idle_clients.py N PORT

Connects N clients to 127.0.0.1:PORT, waits until the number of clients
that have received a greeting stops changing (at least one second, at most
ten), prints it, then holds every connection open until stdin ends.
"""
import select
import socket
import sys
import time

if len(sys.argv) != 3:
    sys.exit(__doc__)
n, port = int(sys.argv[1]), int(sys.argv[2])
clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
print(f"{n} idle clients connected", flush=True)
def count():
    return sum(1 for c in clients if select.select([c], [], [], 0)[0])


start, greeted, steady = time.monotonic(), -1, 0
while time.monotonic() - start < 10 and (steady < 3 or time.monotonic() - start < 1):
    time.sleep(0.2)
    now = count()
    steady = steady + 1 if now == greeted else 0
    greeted = now
print(f"greeted so far: {greeted} of {n}", flush=True)
sys.stdin.read()
