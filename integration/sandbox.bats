#!/usr/bin/env bats
# `airlock sandbox` and `airlock verdict`: a program runs in a throw-away
# container under the untrusted profile (specs/profiles), watched by the
# monitor; the verdict says how it ended and what it tried. The hostile
# battery: each program is contained AND reported in its verdict.
# Hostile helpers are tiny static C programs (integration/hostile/*.c),
# compiled once per run into every test's busybox rootfs under /hostile.

load helpers

setup_file() {
	export AIRLOCK_PROFILES_DIR=$BATS_TEST_DIRNAME/../specs/profiles
	HOSTILE_BIN=$BATS_FILE_TMPDIR/hostile
	mkdir -p "$HOSTILE_BIN"
	local src
	for src in "$BATS_TEST_DIRNAME"/hostile/*.c; do
		gcc -static -O2 -Wall -Wextra -Werror -o "$HOSTILE_BIN/$(basename "${src%.c}")" "$src" ||
			return 1
	done
	export HOSTILE_BIN
}

setup() {
	is_airlock || skip "airlock only: sandbox and verdict are airlock commands"
	al_setup
	mkdir -p "$BUNDLE/rootfs/hostile"
	cp "$HOSTILE_BIN"/* "$BUNDLE/rootfs/hostile/"
}

# sandbox_json ARGS... -- PROGRAM...: run the sandbox on this test's rootfs;
# $status, $output (the program's stdout+stderr and airlock's messages) and
# $WORK/verdict.json (the JSON verdict).
sandbox_json() {
	status=0
	al sandbox --rootfs "$BUNDLE/rootfs" --json "$@" </dev/null >"$WORK/verdict.json" 2>"$WORK/out" || status=$?
	output=$(cat "$WORK/out")
}

# Field of the last verdict (jq filter, raw output).
v() {
	jq -r "$1" "$WORK/verdict.json"
}

assert_v() {
	local got
	got=$(v "$1")
	[ "$got" = "$2" ] || fail "verdict $1: expected <<$2>>, got <<$got>>; verdict: $(cat "$WORK/verdict.json"); output: $output"
}

assert_denied() {
	local name=$1 count
	count=$(jq -r --arg n "$name" '[.denied_syscalls[] | select(.name == $n) | .count] | add // 0' "$WORK/verdict.json")
	[ "$count" -ge 1 ] || fail "syscall $name not reported as denied: $(cat "$WORK/verdict.json")"
}

@test "sandbox: a well-behaved program exits 0 with a clean verdict" {
	sandbox_json -- sh -c 'echo hello; echo oops >&2'
	assert_success
	assert_output_contains hello
	assert_output_contains oops
	assert_v .ok true
	assert_v .exit_code 0
	assert_v .signal null
	assert_v .timed_out false
	assert_v .profile untrusted
	assert_v '.denied_syscalls | length' 0
	assert_v .stdout_bytes 6
	assert_v .stderr_bytes 5
	assert_v .memory_limit_enforcement "$(v .limits.memory.enforcement)"
	[ "$(v .wall_time_ms)" -lt 5000 ] || fail "wall time $(v .wall_time_ms)"
	[ "$(v .cpu_time_us)" != null ] || fail "no cpu time"
	# sampled (no memory controller here): a real figure, or null when the
	# program ended before any sample saw it; never 0
	[ "$(v .memory_peak_bytes)" = null ] || [ "$(v .memory_peak_bytes)" -gt 0 ] ||
		fail "memory peak $(v .memory_peak_bytes)"
	# thrown away: nothing left under the root
	[ -z "$(al list -q)" ] || fail "left behind: $(al list -q)"
}

@test "sandbox: human-readable verdict on stderr, the program's output on stdout" {
	status=0
	al sandbox --rootfs "$BUNDLE/rootfs" -- sh -c 'echo out-line' </dev/null >"$WORK/stdout" 2>"$WORK/stderr" || status=$?
	assert_success
	[ "$(cat "$WORK/stdout")" = out-line ] || fail "stdout: $(cat "$WORK/stdout")"
	output=$(cat "$WORK/stderr")
	assert_output_contains "verdict: OK"
	assert_output_contains "profile untrusted"
	assert_output_contains "denied syscalls: none"
}

@test "sandbox: the default busybox rootfs is built at first use" {
	status=0
	AIRLOCK_CACHE=$TESTDIR/cache al sandbox --json -- sh -c 'ls /bin/sh && echo ran' </dev/null >"$WORK/verdict.json" 2>"$WORK/out" || status=$?
	output=$(cat "$WORK/out")
	assert_success
	assert_output_contains ran
	assert_v .ok true
	ls -d "$TESTDIR"/cache/sandbox-rootfs-* >/dev/null || fail "no cached rootfs"
}

@test "sandbox: mount/ptrace/bpf/keyctl/unshare/init_module/AF_INET socket are denied and reported by name" {
	sandbox_json -- /hostile/attempt mount ptrace bpf keyctl unshare init_module socket_inet
	# denied syscalls alone do not fail the run
	assert_success
	refute_output_contains ESCAPED
	local n
	for n in mount ptrace bpf keyctl unshare init_module socket_inet; do
		assert_output_contains "$n: blocked: Operation not permitted"
	done
	for n in mount ptrace bpf keyctl unshare init_module socket; do
		assert_denied "$n"
	done
	assert_v '[.denied_syscalls[] | select(.first_pid > 0)] | length' "$(v '.denied_syscalls | length')"
	assert_v .denied_syscalls_total "$(v '[.denied_syscalls[].count] | add')"
	assert_v .ok true
}

@test "sandbox: a shell's mount attempt is denied and counted" {
	sandbox_json -- sh -c 'mount -t tmpfs none /mnt; mount -t tmpfs none /mnt; echo done'
	assert_success
	assert_output_contains done
	assert_v '[.denied_syscalls[] | select(.name == "mount") | .count] | add' 2
}

@test "sandbox: a fork bomb hits the pids limit" {
	sandbox_json --timeout 10s -- /hostile/forkbomb
	assert_success
	assert_output_contains "forkbomb: stopped after"
	local forks
	forks=$(sed -n 's/.*stopped after \([0-9]*\) forks.*/\1/p' "$WORK/out")
	[ "$forks" -le "$(v .limits.pids.value)" ] || fail "$forks forks, limit $(v .limits.pids.value)"
	[ "$(v .limits.pids.enforcement)" != none ] || fail "pids limit not enforced"
	assert_v .timed_out false
	local peak
	peak=$(v .pids_peak)
	[ "$peak" != null ] || fail "no pids peak"
	[ "$peak" -gt 1 ] && [ "$peak" -le $(($(v .limits.pids.value) + 1)) ] || fail "pids peak $peak"
}

@test "sandbox: a memory hog is stopped by the memory limit" {
	# make SAN=1: ASan builds do not apply RLIMIT_AS (runtime/lib/process.c),
	# the memory limit's fallback on this host without a memory controller.
	if "$AIRLOCK" --version | grep -q "RLIMIT_AS is not applied" \
		&& ! grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		skip "sanitizer build: RLIMIT_AS (the memory fallback here) is not applied"
	fi
	sandbox_json --memory 128M -- /hostile/memhog 1024
	assert_failure
	assert_v .ok false
	refute_output_contains "memhog: got"
	if [ "$(v .oom_killed)" = true ]; then
		assert_v .signal SIGKILL
		[ "$status" -eq 137 ] || fail "status $status"
	else
		# rlimit fallback (no memory controller): the allocation fails
		assert_v .memory_limit_enforcement rlimit
		assert_output_contains "memhog: allocation failed"
		assert_v .exit_code 3
		[ "$status" -eq 3 ] || fail "status $status"
	fi
	[ "$(v .limits.memory.value)" -le $((128 << 20)) ] || fail "limit $(v .limits.memory.value)"
	[ "$(v .memory_peak_bytes)" -le $((160 << 20)) ] || fail "peak $(v .memory_peak_bytes)"
}

@test "sandbox: a busy loop is killed at the timeout" {
	sandbox_json --timeout 1s -- sh -c 'while :; do :; done'
	[ "$status" -eq 124 ] || fail "status $status, output: $output"
	assert_v .timed_out true
	assert_v .timeout_ms 1000
	assert_v .signal SIGKILL
	assert_v .exit_code null
	assert_v .ok false
	local wall
	wall=$(v .wall_time_ms)
	[ "$wall" -ge 950 ] && [ "$wall" -lt 3000 ] || fail "wall time $wall ms for a 1 s timeout"
}

@test "sandbox: the timeout kills the whole container, children included" {
	sandbox_json --timeout 500ms -- sh -c 'sleep 100 & sleep 100 & sh -c "sleep 100" & wait'
	[ "$status" -eq 124 ] || fail "status $status"
	assert_v .timed_out true
	[ "$(v .pids_peak)" -ge 3 ] || fail "pids peak $(v .pids_peak)"
	[ -z "$(al list -q)" ] || fail "left behind"
	# run as host uid 0 of the container: the first id of its own range
	[ "$(v .host_ids.first)" -gt 0 ] || fail "no host ids: $(cat "$WORK/verdict.json")"
	! pgrep -f "sleep 100" -u "$(v .host_ids.first)" >/dev/null || fail "a sleep survived"
}

@test "sandbox: an output flood is counted and the monitor survives" {
	sandbox_json --output-limit 1K -- sh -c 'dd if=/dev/zero bs=1M count=50 2>/dev/null; echo after >&2'
	assert_success
	assert_v .stdout_bytes $((50 << 20))
	assert_v .stdout_dropped_bytes $(((50 << 20) - 1024))
	assert_v .stderr_bytes 6
	assert_v .ok true
	[ "$(stat -c %s "$WORK/out")" -lt 4096 ] || fail "passed through $(stat -c %s "$WORK/out") bytes"
}

@test "sandbox: filling the tmpfs scratch is the program's own ENOSPC" {
	sandbox_json -- sh -c 'dd if=/dev/zero of=/tmp/a bs=1M count=40 && dd if=/dev/zero of=/tmp/b bs=1M count=40'
	assert_failure
	assert_output_contains "No space left on device"
	assert_v .exit_code 1
	assert_v .timed_out false
	assert_v .ok false
}

@test "sandbox: host secrets and the runtime's state are out of reach" {
	local secret=""
	[ -r /etc/shadow ] && secret=$(head -1 /etc/shadow)
	sandbox_json -- sh -c "cat /proc/1/root/etc/shadow; cat /etc/shadow; ls $ROOT; ls /run/airlock; cat /proc/1/environ | tr '\\0' '\\n' | grep -c AIRLOCK_PROFILES_DIR; true"
	assert_success
	assert_output_contains "can't open '/proc/1/root/etc/shadow'"
	assert_output_contains "can't open '/etc/shadow'"
	assert_output_contains "$ROOT: No such file or directory"
	if [ -n "$secret" ]; then
		refute_output_contains "$secret"
	fi
	# the container's pid 1 is its own program, with the config's env only
	refute_output_contains "AIRLOCK_PROFILES_DIR="
}

@test "sandbox: /proc/self/exe cannot be written, no fd leaks in" {
	sandbox_json -- sh -c '/hostile/attempt proc_self_exe leaked_fds; echo x > /proc/self/exe && echo WROTE-EXE; true'
	assert_success
	refute_output_contains ESCAPED
	refute_output_contains WROTE-EXE
	assert_output_contains "proc_self_exe: blocked"
	assert_output_contains "leaked_fds: blocked"
}

@test "sandbox: cgroup release_agent and cgroup.procs writes fail" {
	sandbox_json -- sh -c 'echo /x > /sys/fs/cgroup/release_agent && echo WROTE-RA; echo 1 > /sys/fs/cgroup/cgroup.procs && echo WROTE-PROCS; mkdir /sys/fs/cgroup/x && echo MADE; mount -t cgroup -o memory none /mnt && echo MOUNTED; true'
	assert_success
	refute_output_contains WROTE-RA
	refute_output_contains WROTE-PROCS
	refute_output_contains MADE
	refute_output_contains MOUNTED
	assert_denied mount
}

@test "sandbox: --keep leaves the container for \`verdict\`; delete removes it" {
	status=0
	al sandbox --rootfs "$BUNDLE/rootfs" --keep --id "$ID" -- sh -c 'mount -t tmpfs x /mnt; exit 3' </dev/null >"$WORK/out" 2>&1 || status=$?
	[ "$status" -eq 3 ] || fail "status $status: $(cat "$WORK/out")"
	run al verdict "$ID"
	assert_success
	assert_output_contains "verdict: FAILED"
	assert_output_contains "status 3"
	assert_output_contains mount
	run al verdict --json "$ID"
	assert_success
	[ "$(echo "$output" | jq -r .exit_code)" = 3 ] || fail "$output"
	[ "$(echo "$output" | jq -r .id)" = "$ID" ] || fail "$output"
	al delete "$ID"
	run al verdict "$ID"
	assert_failure
	assert_output_contains "does not exist"
}

@test "verdict: a container nobody watched has none" {
	create_container
	run al verdict "$ID"
	assert_failure
	assert_output_contains "no verdict"
}

@test "sandbox: a read-only bind works; a writable bind conflicts with the profile" {
	mkdir -p "$WORK/data"
	chmod 0755 "$WORK" "$WORK/data"
	echo payload >"$WORK/data/in.json"
	chmod 0644 "$WORK/data/in.json"
	sandbox_json --bind "$WORK/data:/mnt" -- sh -c 'cat /mnt/in.json; echo x > /mnt/out && echo WROTE; true'
	assert_success
	assert_output_contains payload
	refute_output_contains WROTE
	sandbox_json --bind "$WORK/data:/mnt:rw" -- true
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_output_contains "profile"
	[ -z "$(al list -q)" ] || fail "left behind"
}

@test "sandbox: usage errors" {
	run al sandbox
	[ "$status" -eq 125 ] || fail "status $status"
	assert_output_contains "no program"
	run al sandbox --timeout soon -- true
	[ "$status" -eq 125 ] || fail "status $status"
	assert_output_contains "--timeout"
	run al sandbox --profile no-such-profile -- true
	[ "$status" -eq 125 ] || fail "status $status"
	assert_output_contains "no-such-profile"
}
