#!/usr/bin/env python3
"""recvtty.py SOCKET [READY_FIFO]: a console-socket receiver for tests.

Listens on the unix socket SOCKET, accepts one connection, receives the pty
master fd sent with SCM_RIGHTS, and copies everything read from it to stdout
until the pty closes (EIO once every slave fd is gone) or EOF. Once the socket
listens, writes "ready" to READY_FIFO (when given) so callers need no sleep.
The payload sent with the fd (the pty name) goes to stderr as "name: ...".
"""
import array
import os
import socket
import sys


def recv_fd(conn):
    fds = array.array("i")
    msg, anc, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(data) - len(data) % fds.itemsize
            fds.frombytes(data[:usable])
    if not fds:
        raise SystemExit("recvtty: no fd received")
    for extra in fds[1:]:
        os.close(extra)
    return fds[0], msg


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: recvtty.py SOCKET [READY_FIFO]")
    path = sys.argv[1]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as ready:
            ready.write("ready\n")
    conn, _ = srv.accept()
    srv.close()
    fd, name = recv_fd(conn)
    conn.close()
    sys.stderr.write("name: %s\n" % name.decode(errors="replace").rstrip("\0"))
    out = sys.stdout.buffer
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the slave side is closed
            break
        if not data:
            break
        out.write(data)
        out.flush()
    os.close(fd)


if __name__ == "__main__":
    main()
