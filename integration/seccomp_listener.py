#!/usr/bin/env python3
"""seccomp_listener.py SOCKET READY_FIFO [continue]: a linux.seccomp.listenerPath agent for tests.

Listens on SOCKET, writes "ready" to READY_FIFO, accepts one connection,
receives the notify fd and the containerProcessState JSON, prints the JSON on
stdout and whether an fd came, then closes the fd (notified syscalls then fail
with ENOSYS). With "continue": answers every notification instead, letting the
call go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE), prints "notified NR" for each,
and closes the fd once no process uses the filter any more."""
import array
import fcntl
import json
import os
import select
import socket
import struct
import sys

path, ready = sys.argv[1], sys.argv[2]
answer = len(sys.argv) > 3 and sys.argv[3] == "continue"
# struct seccomp_notif (80 bytes) and struct seccomp_notif_resp (24 bytes)
NOTIF_RECV = 0xC0502100  # SECCOMP_IOCTL_NOTIF_RECV
NOTIF_SEND = 0xC0182101  # SECCOMP_IOCTL_NOTIF_SEND
FLAG_CONTINUE = 1


def serve(fd):
    """Answer notifications with CONTINUE until the filter has no users."""
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    while True:
        ev = poll.poll()[0][1]
        if ev & select.POLLIN:
            buf = bytearray(80)
            try:
                fcntl.ioctl(fd, NOTIF_RECV, buf)
            except OSError:
                continue  # the caller was interrupted
            nid, _pid, _flags, nr = struct.unpack_from("=QIIi", buf)
            print("notified", nr, flush=True)
            try:
                fcntl.ioctl(fd, NOTIF_SEND, bytearray(struct.pack("=QqiI", nid, 0, 0, FLAG_CONTINUE)))
            except OSError:
                pass  # the caller is gone
        elif ev & (select.POLLHUP | select.POLLERR):
            return
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
with open(ready, "w") as f:
    f.write("ready\n")
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
state = json.loads(msg.decode())
print(json.dumps(state))
print("fd-received" if fds else "no-fd")
for fd in fds:
    print("fd-target", os.readlink("/proc/self/fd/%d" % fd), flush=True)
    if answer:
        serve(fd)
    os.close(fd)
