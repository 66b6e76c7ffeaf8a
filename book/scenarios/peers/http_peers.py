"""Small HTTP peers for lesson 09's scenarios (and for trying the lesson by hand).

    python3 http_peers.py show-request PORT   answer one request with "ok", printing
                                              each line of its head with \\r\\n visible
    python3 http_peers.py chunked PORT        serve files from the current directory,
                                              chunked in pieces of 1, 7, 4096, 65536,
                                              100000 and 3 bytes (then repeating)
    python3 http_peers.py silent PORT         listen, never accept, never answer
    python3 http_peers.py truncated PORT      promise 1000 bytes, send 9, close

Loopback only. Every peer prints "ready" once it listens.
"""
import os
import socket
import sys
import time

CHUNKS = [1, 7, 4096, 65536, 100000, 3]


def listener(port):
    s = socket.create_server(("127.0.0.1", port))
    print("ready", flush=True)
    return s


def read_head(conn):
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            break
        head += data
    return head.split(b"\r\n\r\n", 1)[0]


def show_request(port):
    conn, _ = listener(port).accept()
    for line in read_head(conn).split(b"\r\n") + [b""]:
        print(line.decode("utf-8", "replace") + "\\r\\n", flush=True)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    conn.close()


def chunked(port):
    srv = listener(port)
    while True:
        conn, _ = srv.accept()
        target = read_head(conn).split(b" ")[1].decode()
        path = os.path.join(".", target.lstrip("/"))
        if not os.path.isfile(path):
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            conn.close()
            continue
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        with open(path, "rb") as f:
            i = 0
            while True:
                piece = f.read(CHUNKS[i % len(CHUNKS)])
                i += 1
                if not piece:
                    break
                conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        conn.sendall(b"0\r\n\r\n")
        conn.close()


def silent(port):
    srv = listener(port)  # kept open: connections complete in its backlog
    time.sleep(120)
    srv.close()


def truncated(port):
    srv = listener(port)
    while True:
        conn, _ = srv.accept()
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly part")
        conn.close()


if __name__ == "__main__":
    modes = {"show-request": show_request, "chunked": chunked, "silent": silent, "truncated": truncated}
    if len(sys.argv) != 3 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    modes[sys.argv[1]](int(sys.argv[2]))
