#!/usr/bin/env python3
"""conmon_run.py [--lines N] [--wait S] [--env K=V ...] -- CONMON ARGS...

Starts conmon the way CRI-O does: its environment is only what --env gives
(CRI-O's monitor_env) plus _OCI_SYNCPIPE=3 and _OCI_STARTPIPE=4, and one
byte on the start pipe lets it go on (CRI-O writes it once conmon is in its
cgroup). Prints each JSON message conmon writes on the sync pipe (the
container's pid, an exec's exit code or "command timed out"), at most N of
them (default: until conmon closes the pipe), waiting at most S seconds
(default 30) in all. Then prints "conmon-exit: STATUS" for the conmon
process it started (the daemonising parent, or conmon itself with --sync),
"conmon-signal: SIG" when a signal killed it, and exits 0; 3 on a timeout.
"""
import json
import os
import select
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    lines = None
    wait = 30.0
    env = {}
    while args and args[0] != "--":
        if args[0] == "--lines":
            lines = int(args[1])
            args = args[2:]
        elif args[0] == "--wait":
            wait = float(args[1])
            args = args[2:]
        elif args[0] == "--env":
            k, _, v = args[1].partition("=")
            env[k] = v
            args = args[2:]
        else:
            sys.exit("conmon_run.py: unknown option %s" % args[0])
    argv = args[1:]
    if not argv:
        sys.exit(__doc__)

    sync_r, sync_w = os.pipe()
    start_r, start_w = os.pipe()

    def child_fds():
        # fds 3 and 4 in conmon, as CRI-O's ExtraFiles.
        os.dup2(sync_w, 3)
        os.dup2(start_r, 4)

    env["_OCI_SYNCPIPE"] = "3"
    env["_OCI_STARTPIPE"] = "4"
    proc = subprocess.Popen(argv, env=env, preexec_fn=child_fds, pass_fds=(3, 4),
                            stdin=subprocess.DEVNULL)
    os.close(sync_w)
    os.close(start_r)
    os.write(start_w, b"\0")
    os.close(start_w)

    deadline = time.monotonic() + wait
    buf = b""
    got = 0
    eof = False
    while lines is None or got < lines:
        left = deadline - time.monotonic()
        if left <= 0:
            print("conmon_run.py: timed out after %gs waiting for conmon's sync pipe" % wait, flush=True)
            sys.exit(3)
        ready, _, _ = select.select([sync_r], [], [], left)
        if not ready:
            continue
        data = os.read(sync_r, 4096)
        if not data:
            eof = True
            break
        buf += data
        while b"\n" in buf and (lines is None or got < lines):
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                json.loads(line)  # conmon's messages are JSON objects
                print(line.decode(), flush=True)
                got += 1
    if not eof and buf.strip() and (lines is None or got < lines):
        print(buf.decode(), flush=True)
    left = max(deadline - time.monotonic(), 0.1)
    try:
        rc = proc.wait(timeout=left)
    except subprocess.TimeoutExpired:
        print("conmon_run.py: conmon %d still running after %gs" % (proc.pid, wait), flush=True)
        sys.exit(3)
    if rc < 0:
        print("conmon-signal: %d" % -rc, flush=True)
    else:
        print("conmon-exit: %d" % rc, flush=True)


if __name__ == "__main__":
    main()
