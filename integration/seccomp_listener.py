#!/usr/bin/env python3
"""seccomp_listener.py SOCKET READY_FIFO: a linux.seccomp.listenerPath agent for tests.

Listens on SOCKET, writes "ready" to READY_FIFO, accepts one connection,
receives the notify fd and the containerProcessState JSON, prints the JSON on
stdout and whether an fd came, then closes the fd (notified syscalls then fail
with ENOSYS)."""
import array
import json
import os
import socket
import sys

path, ready = sys.argv[1], sys.argv[2]
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
    print("fd-target", os.readlink("/proc/self/fd/%d" % fd))
    os.close(fd)
