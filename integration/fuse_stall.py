#!/usr/bin/env python3
"""fuse_stall.py MOUNTPOINT READY: a FUSE file system that never answers.

Mounts an empty directory at MOUNTPOINT through /dev/fuse (no libfuse needed)
and serves INIT and GETATTR of its root. A LOOKUP (any name under the root)
is read and never answered: the process that asked sleeps uninterruptibly
(state D, in request_wait_answer) until this server exits, which aborts the
connection. When the first LOOKUP arrives, the file READY gets the asking
pid. Exits (and so releases the sleeper) on SIGTERM or SIGKILL.
"""
import ctypes
import os
import signal
import struct
import sys

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_INIT = 1, 2, 3, 26
FUSE_INTERRUPT, FUSE_DESTROY, FUSE_BATCH_FORGET = 36, 38, 42
IN_HDR = struct.Struct("=IIQQIIIHH")  # len opcode unique nodeid uid gid pid extlen pad
OUT_HDR = struct.Struct("=IiQ")  # len error unique


def reply(fd, unique, payload=b"", error=0):
    os.write(fd, OUT_HDR.pack(OUT_HDR.size + len(payload), error, unique) + payload)


def root_attr():
    # fuse_attr_out: attr_valid, attr_valid_nsec, dummy, then fuse_attr.
    attr = struct.pack("=QQQQQQIIIIIIIIII", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0o40755, 2, 0, 0, 0, 4096, 0)
    return struct.pack("=QII", 1, 0, 0) + attr


def main():
    mnt, ready = sys.argv[1], sys.argv[2]
    fd = os.open("/dev/fuse", os.O_RDWR)
    libc = ctypes.CDLL(None, use_errno=True)
    opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0,allow_other".encode()
    if libc.mount(b"stall", mnt.encode(), b"fuse", 0, opts) != 0:
        e = ctypes.get_errno()
        sys.exit(f"fuse_stall: mount {mnt}: {os.strerror(e)}")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    stalled = False
    while True:
        try:
            buf = os.read(fd, 1 << 20)
        except OSError:
            return
        length, op, unique, nodeid, uid, gid, pid, _, _ = IN_HDR.unpack_from(buf)
        if op == FUSE_INIT:
            major, minor = struct.unpack_from("=II", buf, IN_HDR.size)
            # fuse_init_out as of 7.22: major minor max_readahead flags
            # max_background congestion_threshold max_write.
            reply(fd, unique, struct.pack("=IIIIHHI", 7, 22, 0, 0, 16, 12, 4096))
        elif op == FUSE_GETATTR:
            reply(fd, unique, root_attr())
        elif op == FUSE_LOOKUP:
            if not stalled:
                stalled = True
                with open(ready + ".tmp", "w") as f:
                    f.write(f"{pid}\n")
                os.rename(ready + ".tmp", ready)
            # never answered
        elif op in (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT, FUSE_DESTROY):
            pass
        else:
            reply(fd, unique, error=-38)  # ENOSYS


if __name__ == "__main__":
    main()
