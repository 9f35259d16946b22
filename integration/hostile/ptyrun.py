#!/usr/bin/env python3
"""ptyrun.py [--raw] [--send-after TEXT BYTES] [--timeout S] -- COMMAND...

Run COMMAND as the leader of a new session whose controlling terminal is a
fresh pty, the way an interactive shell runs a job: stdin, stdout and stderr
are the pty's slave. Everything COMMAND (and what it starts) writes to the
terminal is copied to our stdout. With --send-after, BYTES (Python escapes
allowed, e.g. '\\x03' for Ctrl-C) are typed into the terminal once TEXT
shows up in its output. With --raw the slave is in raw mode (no echo, no
line editing, no signals from keys).

Once COMMAND exits, whatever sits in the terminal's input queue, i.e. what
the shell that started COMMAND would read next (bytes pushed with TIOCSTI),
is printed on a last line "PTY-INPUT: <repr>". Exits with COMMAND's status
(128+N on signal N); 124 when it outlived --timeout (default 60 s; then it
is killed).
"""
import fcntl
import os
import select
import signal
import sys
import termios
import time
import tty


def main():
    args = sys.argv[1:]
    raw = False
    send = None
    timeout = 60.0
    while args and args[0] != "--":
        if args[0] == "--raw":
            raw = True
            args = args[1:]
        elif args[0] == "--send-after":
            send = (args[1].encode(), args[2].encode().decode("unicode_escape").encode("latin-1"))
            args = args[3:]
        elif args[0] == "--timeout":
            timeout = float(args[1])
            args = args[2:]
        else:
            raise SystemExit("ptyrun: unknown option " + args[0])
    cmd = args[1:]
    if not cmd:
        raise SystemExit("ptyrun: no command")

    master, slave = os.openpty()
    if raw:
        tty.setraw(slave, termios.TCSANOW)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)

    out = b""
    deadline = time.monotonic() + timeout
    status = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            print("\nptyrun: timed out after %g s" % timeout)
            sys.exit(124)
        r, _, _ = select.select([master], [], [], min(left, 0.05))
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            out += data
            if send and send[0] in out:
                os.write(master, send[1])
                send = None
        elif status is not None:
            break  # exited, and nothing more to read
        if status is None:
            w, st = os.waitpid(pid, os.WNOHANG)
            if w == pid:
                status = st
    sys.stdout.buffer.write(out)
    sys.stdout.flush()

    # What the session's shell would read next.
    fl = fcntl.fcntl(slave, fcntl.F_GETFL)
    fcntl.fcntl(slave, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    if not raw:
        # Canonical mode hands out only whole lines: take the queue raw.
        tty.setraw(slave, termios.TCSANOW)
    pending = b""
    while True:
        try:
            chunk = os.read(slave, 4096)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        pending += chunk
    print("\nPTY-INPUT: %r" % pending)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
