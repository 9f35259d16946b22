#!/usr/bin/env bats
# The verdict must not lie about denied syscalls. A program under the
# untrusted profile tries to get denied calls past the monitor: a seccomp
# filter of its own (whose ERRNO/KILL outranks the monitor's notification),
# floods of unknown syscall numbers that would push real names out of the
# table, terminal injection (TIOCSTI, TIOCLINUX, with the upper half of the
# 32-bit cmd set), memfd_create, and the other ABIs of x86_64 (i386 int 0x80,
# x32 numbers), whose calls libseccomp kills unseen by default. Each case is
# denied AND named in the verdict, and the totals count every denial.
# The helper is integration/hostile/evade.c, built static into the rootfs.

load ../helpers

setup_file() {
	# The profiles of the tree the runtime under test comes from.
	AIRLOCK_PROFILES_DIR=$(cd "$(dirname "$AIRLOCK")/.." && pwd)/specs/profiles
	export AIRLOCK_PROFILES_DIR
	EVADE_BIN=$BATS_FILE_TMPDIR/evade
	gcc -static -O2 -Wall -Wextra -Werror -o "$EVADE_BIN" "$BATS_TEST_DIRNAME/evade.c" || return 1
	export EVADE_BIN
}

setup() {
	is_airlock || skip "airlock only: sandbox and its verdict are airlock's"
	al_setup
	mkdir -p "$BUNDLE/rootfs/hostile"
	cp "$EVADE_BIN" "$BUNDLE/rootfs/hostile/evade"
}

teardown() { al_teardown; }

# sandbox_json ARGS... -- PROGRAM...: $status, $output (the program's output
# and airlock's messages), $WORK/verdict.json.
sandbox_json() {
	status=0
	al sandbox --rootfs "$BUNDLE/rootfs" --json "$@" </dev/null >"$WORK/verdict.json" 2>"$WORK/out" || status=$?
	output=$(cat "$WORK/out")
}

v() {
	jq -r "$1" "$WORK/verdict.json"
}

verdict_fail() {
	fail "$1; verdict: $(cat "$WORK/verdict.json"); output: $output"
}

# assert_denied NAME [COUNT]: NAME is listed (COUNT times).
assert_denied() {
	local count
	count=$(jq -r --arg n "$1" '[.denied_syscalls[] | select(.name == $n) | .count] | add // 0' "$WORK/verdict.json")
	if [ -n "${2:-}" ]; then
		[ "$count" = "$2" ] || verdict_fail "$1 denied $count times, expected $2"
	else
		[ "$count" -ge 1 ] || verdict_fail "$1 is not reported as denied"
	fi
}

# The totals add up: the listed counts plus the dropped calls.
assert_totals_add_up() {
	local listed dropped total
	listed=$(v '[.denied_syscalls[].count] | add // 0')
	dropped=$(v '.denied_syscalls_dropped.calls')
	total=$(v .denied_syscalls_total)
	[ "$((listed + dropped))" = "$total" ] || verdict_fail "listed $listed + dropped $dropped != total $total"
}

@test "verdict: a filter of the program's own (seccomp, prctl, upper bits set) is refused and named, never 'no denials'" {
	local how name
	for how in seccomp prctl seccomp_hi prctl_hi; do
		sandbox_json -- /hostile/evade filter "$how"
		assert_success
		assert_output_contains "install: failed: Operation not permitted"
		# mount reached the monitor, not a filter of the program's own (EXDEV)
		assert_output_contains "mount: failed: Operation not permitted"
		case $how in
		seccomp*) name="seccomp(SECCOMP_SET_MODE_FILTER)" ;;
		prctl*) name="prctl(PR_SET_SECCOMP)" ;;
		esac
		assert_denied "$name" 1
		assert_denied mount 1
		[ "$(v .denied_syscalls_total)" -ge 2 ] || verdict_fail "$how: total"
		assert_totals_add_up
	done
}

@test "verdict: 20000 distinct unknown syscall numbers do not push mount and bpf out; every call is counted" {
	sandbox_json --timeout 30s -- /hostile/evade flood 20000
	assert_success
	assert_output_contains "unknown: 20000 calls, 20000 EPERM"
	assert_output_contains "mount: failed: Operation not permitted"
	assert_output_contains "bpf: failed: Operation not permitted"
	assert_denied mount 1
	assert_denied bpf 1
	assert_v_eq() { [ "$(v "$1")" = "$2" ] || verdict_fail "$1: expected $2, got $(v "$1")"; }
	assert_v_eq .denied_syscalls_total 20002
	# 32 unknown numbers listed by name, the others counted
	assert_v_eq '[.denied_syscalls[] | select(.name | startswith("syscall#"))] | length' 32
	assert_v_eq .denied_syscalls_dropped.calls $((20000 - 32))
	local names
	names=$(v .denied_syscalls_dropped.names)
	[ "$names" -ge 1 ] && [ "$names" -le $((20000 - 32)) ] || verdict_fail "dropped names $names"
	assert_totals_add_up
	# and people are told
	status=0
	al sandbox --rootfs "$BUNDLE/rootfs" -- /hostile/evade flood 2000 </dev/null >/dev/null 2>"$WORK/human" || status=$?
	assert_success
	output=$(cat "$WORK/human")
	assert_output_contains "denied syscalls: 2002 calls"
	assert_output_contains "not listed:          1968 calls of at least"
	assert_output_contains "mount "
	assert_output_contains "bpf "
}

@test "verdict: one known name repeated after a flood of unknown numbers is counted exactly" {
	sandbox_json --timeout 30s -- /hostile/evade repeat 6000
	assert_success
	assert_output_contains "mount: 6000 calls, 6000 EPERM"
	assert_denied mount 6000
	[ "$(v .denied_syscalls_total)" = 12000 ] || verdict_fail "total"
	assert_totals_add_up
}

@test "verdict: TIOCSTI (also with cmd's upper half set) and TIOCLINUX on a pty of its own are denied and named" {
	sandbox_json -- /hostile/evade tty ptmx
	assert_success
	assert_output_contains "TIOCSTI: failed: Operation not permitted"
	assert_output_contains "TIOCSTI_hi: failed: Operation not permitted"
	assert_output_contains "TIOCLINUX: failed: Operation not permitted"
	# other ioctls still work
	assert_output_contains "TIOCGWINSZ: ok"
	assert_denied "ioctl(TIOCSTI)" 2
	assert_denied "ioctl(TIOCLINUX)" 1
}

@test "verdict: the caller's terminal (a pty as stdin) never reaches the sandbox, so nothing can be pushed into it" {
	command -v python3 >/dev/null || skip "python3 is needed to give the sandbox a pty as stdin"
	local cmd
	printf -v cmd '%q ' "$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --verdict "$WORK/verdict.json" \
		-- /hostile/evade tty stdin
	status=0
	python3 -c 'import pty, sys; sys.exit(pty.spawn(["/bin/sh", "-c", sys.argv[1]]) >> 8)' "$cmd" \
		</dev/null >"$WORK/out" 2>&1 || status=$?
	output=$(cat "$WORK/out")
	# The monitor gives it a pipe in place of the caller's terminal (and the
	# init has a session of its own): there is no terminal to push into.
	[ "$status" -eq 1 ] || fail "expected the program's status 1, got $status: $output"
	assert_output_contains "stdin is not a terminal"
	[ "$(jq -r .ok "$WORK/verdict.json")" = false ] || fail "verdict: $(cat "$WORK/verdict.json")"
}

@test "verdict: memfd_create is denied and named" {
	sandbox_json -- /hostile/evade memfd
	assert_success
	assert_output_contains "memfd_create: failed: Operation not permitted"
	assert_denied memfd_create 1
}

@test "verdict: i386 and x32 calls are denied and named, not killed unseen (in the main thread or another)" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only: its other ABIs are i386 and x32"
	local how
	for how in main thread; do
		sandbox_json -- /hostile/evade abi "$how"
		assert_success
		assert_output_contains "i386 mount: Operation not permitted"
		assert_output_contains "x32 mount: Operation not permitted"
		assert_output_contains "abi: survived"
		assert_denied "i386:mount" 1
		assert_denied "x32:mount" 1
		[ "$(v .signal)" = null ] || verdict_fail "killed"
	done
}

@test "verdict: python3 still runs under the profile with nothing denied (threads, subprocess, multiprocessing, ctypes)" {
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 on the host to bind into the sandbox"
	# The busybox rootfs with the host's /usr bound read-only (merged /usr).
	local r=$BUNDLE/rootfs
	mkdir -p "$r/usr"
	ln -s usr/lib "$r/lib"
	ln -s usr/lib64 "$r/lib64"
	sandbox_json --bind /usr:/usr:ro -- /usr/bin/python3 -c '
import ctypes, multiprocessing, os, socket, subprocess, sys, tempfile, threading
t = threading.Thread(target=print, args=("thread",)); t.start(); t.join()
print(subprocess.run(["/bin/sh", "-c", "echo subprocess"], capture_output=True, text=True).stdout.strip())
with multiprocessing.Pool(2) as p:
    print("pool", p.map(abs, [-1, -2]))
with tempfile.TemporaryFile() as f:
    f.write(b"x")
a, b = socket.socketpair(); a.send(b"u"); print("unix", b.recv(1))
print("ctypes", ctypes.CFUNCTYPE(ctypes.c_int)(lambda: 7)())
print("done")'
	assert_success
	assert_output_contains "subprocess"
	assert_output_contains "pool [1, 2]"
	assert_output_contains "ctypes 7"
	assert_output_contains done
	[ "$(v .denied_syscalls_total)" = 0 ] || verdict_fail "denied"
}
