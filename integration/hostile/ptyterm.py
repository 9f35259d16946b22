#!/usr/bin/env python3
"""ptyterm.py: run a command on a terminal of its own (integration/hostile/monitor.bats).

  ptyterm.py [--stall] [--input TEXT] [--log FILE] [--stdout FILE] [--stderr FILE]
            [--keep-fd N]... [--timeout SECONDS] -- COMMAND [ARGS...]

The command's stdin, stdout and stderr are the slave of a new pty, its
controlling terminal (but --stdout/--stderr FILE). Without --stall, everything
the terminal shows is copied to --log FILE, raw. With --stall nobody ever
reads the terminal: once its buffer is full, a write to it blocks, as on a
terminal stopped with ^S. --input TEXT is typed on the terminal first. --keep-fd N passes fd N on.
Exits with the command's status (128+N on signal N), 99 when --timeout
expired (the command is killed then).
"""
import argparse
import fcntl
import os
import select
import subprocess
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stall", action="store_true")
    ap.add_argument("--input")
    ap.add_argument("--log")
    ap.add_argument("--stdout")
    ap.add_argument("--stderr")
    ap.add_argument("--keep-fd", type=int, action="append", default=[])
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()

    master, slave = os.openpty()

    def on_terminal():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    out = open(a.stdout, "wb") if a.stdout else slave
    err = open(a.stderr, "wb") if a.stderr else slave
    p = subprocess.Popen(a.command, stdin=slave, stdout=out, stderr=err, preexec_fn=on_terminal, close_fds=True,
                         pass_fds=a.keep_fd)
    os.close(slave)
    if a.input:
        os.write(master, a.input.encode())
    deadline = time.monotonic() + a.timeout
    log = open(a.log, "wb") if a.log else None
    timed_out = False
    if a.stall:
        try:
            p.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
    else:
        while p.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            r, _, _ = select.select([master], [], [], min(left, 0.2))
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if log and data:
                    log.write(data)
        # What is left on the terminal once the command is gone.
        while not timed_out:
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                break
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            if log:
                log.write(data)
    if timed_out:
        p.kill()
        p.wait()
        sys.exit(99)
    rc = p.returncode
    sys.exit(rc if rc >= 0 else 128 - rc)


if __name__ == "__main__":
    main()
