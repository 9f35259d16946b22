#!/usr/bin/env bats
# runc compatibility, hangs and security: the init's own syscalls under a
# SCMP_ACT_NOTIFY rule, exec --ignore-paused, the caller's fds, syscalls
# newer than a profile, --no-pivot and procfs, startContainer hooks under the
# filter, and a symlinked /proc or /sys in the rootfs.

load helpers

setup_file() {
	export HELPER_BIN=$BATS_FILE_TMPDIR/bin
	mkdir -p "$HELPER_BIN"
	gcc -static -O2 -Wall -Wextra -Werror -o "$HELPER_BIN/deny_syscall" "$BATS_TEST_DIRNAME/hostile/deny_syscall.c"
	gcc -static -O2 -Wall -Wextra -Werror -o "$HELPER_BIN/nested_proc" "$BATS_TEST_DIRNAME/hostile/nested_proc.c"
	gcc -static -O2 -Wall -Wextra -Werror -o "$HELPER_BIN/probe_syscall" "$BATS_TEST_DIRNAME/hostile/probe_syscall.c"
}

# `run` of the bundle, killed after 20 s (a hang fails, status 137), with the
# output on a file (a hung init would keep a pipe open). Sets $status/$output.
run_guarded() {
	status=0
	timeout -s KILL 20 "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$@" "$ID" </dev/null >"$WORK/run.out" 2>&1 \
		|| status=$?
	output=$(cat "$WORK/run.out")
}

# A listenerPath agent in the background ($AGENT), answering with CONTINUE
# when $1 = continue. Bounded: a runtime that never connects cannot keep it.
start_agent() {
	mkfifo "$WORK/ready"
	timeout 30 python3 "$BATS_TEST_DIRNAME/seccomp_listener.py" "$WORK/agent.sock" "$WORK/ready" "$@" \
		>"$WORK/agent.out" 2>"$WORK/agent.err" &
	AGENT=$!
	wait_fifo "$WORK/ready" >/dev/null
}

@test "seccomp notify: a NOTIFY rule on the init's own credential syscalls does not hang create" {
	[ "$(uname -m)" = x86_64 ] || skip "syscall numbers are x86_64's"
	start_agent continue
	# Without no_new_privs the filter goes in before the user switch and the
	# capability drop: setresuid (117) and capset (126) are the init's.
	update_config --arg sock "$WORK/agent.sock" '.process.noNewPrivileges = false
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
			syscalls: [{names: ["setresuid", "capset"], action: "SCMP_ACT_NOTIFY"}]}'
	set_args sh -c 'echo in-container'
	run_guarded
	[ "$status" -ne 137 ] || fail "run hung: $output"
	local rc=0
	wait "$AGENT" || rc=$?
	assert_success
	assert_output_contains in-container
	[ "$rc" -eq 0 ] || fail "agent: $rc $(cat "$WORK/agent.err")"
	run cat "$WORK/agent.out"
	assert_output_contains fd-received
	assert_output_contains "notified 117"
	assert_output_contains "notified 126"
}

@test "startContainer hooks run under the container's seccomp filter" {
	mkdir -m 0777 "$WORK/log"
	update_config --arg log "$WORK/log" '.mounts += [{destination: "/log", type: "bind", source: $log, options: ["rbind", "rw"]}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["sethostname"], action: "SCMP_ACT_ERRNO"}]}
		| .hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "grep ^Seccomp: /proc/self/status > /log/hook"]}]'
	set_args true
	run_guarded
	assert_success
	run cat "$WORK/log/hook"
	[ "$(echo $output)" = "Seccomp: 2" ] || fail "the hook ran without the filter: $output"
}

# The cgroup.procs file of the container's init (v2: unified or pure).
init_cgroup_procs() {
	local pid rel m
	pid=$(state_field .pid)
	rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
	for m in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		if [ -f "$m$rel/cgroup.procs" ]; then
			echo "$m$rel/cgroup.procs"
			return 0
		fi
	done
	fail "no cgroup.procs for $rel"
}

@test "exec --ignore-paused into a paused container: resume completes, then the process runs" {
	make_fifos ran
	set_args sleep 100000
	al run -d --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	local procs
	procs=$(init_cgroup_procs)
	al pause "$ID"
	timeout -s KILL 20 "$AIRLOCK" --root "$ROOT" exec --ignore-paused --detach "$ID" sh -c 'echo ran > /ran' \
		</dev/null >"$WORK/exec.out" 2>&1 &
	local exec_pid=$! i
	# The exec's process is frozen as soon as it is in the cgroup.
	for i in $(seq 1 200); do
		[ "$(wc -l <"$procs")" -ge 2 ] && break
		sleep 0.05
	done
	[ "$(wc -l <"$procs")" -ge 2 ] || fail "the exec process never reached the cgroup"
	run timeout -s KILL 20 "$AIRLOCK" --root "$ROOT" resume "$ID"
	[ "$status" -ne 137 ] || fail "resume hung behind the exec"
	assert_success
	local rc=0
	wait "$exec_pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "exec: status $rc: $(cat "$WORK/exec.out")"
	[ "$(wait_fifo "$BUNDLE/rootfs/ran")" = ran ]
}

@test "fds: a config whose filter kills close_range still runs, and the caller's fds stay out" {
	# The runtime never calls close_range once the filter is loaded: the fds
	# are marked close-on-exec before it.
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["close_range"], action: "SCMP_ACT_KILL_PROCESS"}]}'
	set_args sh -c 'cd /proc/self/fd && echo *'
	run_guarded 7</etc/hostname 9<"$WORK"
	assert_success
	# sh's own fds aside (the glob's directory, 3), only stdio
	[ "$output" = "0 1 2 3" ] || fail "fds in the container: $output"
}

@test "fds: a runtime whose caller's filter denies close_range closes the fds one by one" {
	[ "$(uname -m)" = x86_64 ] || skip "close_range is 436 on x86_64"
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["close_range"], action: "SCMP_ACT_ERRNO"}]}'
	set_args sh -c 'cd /proc/self/fd && echo *'
	status=0
	timeout -s KILL 20 "$HELPER_BIN/deny_syscall" 436 1 "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" \
		</dev/null 7</etc/hostname 9<"$WORK" 200<"$BUNDLE/config.json" >"$WORK/run.out" 2>&1 || status=$?
	output=$(cat "$WORK/run.out")
	assert_success
	[ "$output" = "0 1 2 3" ] || fail "fds in the container: $output"
	# exec too
	set_args sleep 100000
	al delete -f "$ID" 2>/dev/null || true
	al run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run timeout -s KILL 20 "$HELPER_BIN/deny_syscall" 436 1 "$AIRLOCK" --root "$ROOT" exec "$ID" sh -c 'cd /proc/self/fd && echo *' \
		</dev/null 7</etc/hostname 200<"$BUNDLE/config.json"
	assert_success
	[ "$output" = "0 1 2 3" ] || fail "fds in the exec'd process: $output"
}

# $1: proc or sys, made a symlink to $2 in the rootfs; create must refuse it.
refuse_symlinked() {
	rm -rf "${BUNDLE:?}/rootfs/$1"
	ln -s "$2" "$BUNDLE/rootfs/$1"
	set_args true
	run_create
	assert_failure
	assert_airlock_output_contains "container \"$ID\""
	assert_airlock_output_contains "\"/$1\" in the rootfs is a symlink (to \"$2\")"
	assert_airlock_output_contains "must be mounted on a plain directory"
	[ -z "$(al list -q)" ] || fail "a container was left behind: $(al list)"
	[ ! -e "$ROOT/$ID" ] || fail "state dir left behind"
	! find /sys/fs/cgroup -maxdepth 3 -name "$ID" 2>/dev/null | grep -q . || fail "cgroup left behind"
	[ "$(readlink "$BUNDLE/rootfs/$1")" = "$2" ] || fail "the symlink was changed"
}

@test "rootfs: a symlinked /proc is refused with a clear error, nothing left behind" {
	mkdir -p "$BUNDLE/rootfs/elsewhere"
	refuse_symlinked proc /elsewhere
}

@test "rootfs: a symlinked /sys is refused with a clear error, nothing left behind" {
	refuse_symlinked sys tmp
}

# The attacker: an unprivileged user (uid 1000: it may map itself to root
# in a user namespace of its own) runs nested_proc, which mounts a fresh
# procfs in nested user + mount + pid namespaces. Extra arguments go to run.
nested_proc_attempt() {
	cp "$HELPER_BIN/nested_proc" "$BUNDLE/rootfs/nested_proc"
	update_config '.process.user = {uid: 1000, gid: 1000}'
	set_args /nested_proc
	run_guarded "$@"
}

@test "attacker: no fresh procfs from a nested user namespace (pivot_root)" {
	nested_proc_attempt
	[ "$status" -ne 2 ] || skip "nested namespaces unavailable: $output"
	assert_success
	assert_output "proc: refused: Operation not permitted"
}

@test "attacker: no fresh procfs from a nested user namespace with --no-pivot" {
	nested_proc_attempt --no-pivot
	[ "$status" -ne 2 ] || skip "nested namespaces unavailable: $output"
	assert_success
	assert_output "proc: refused: Operation not permitted"
}

@test "attacker: no fresh procfs from a nested user namespace with --no-pivot in a user namespace" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	nested_proc_attempt --no-pivot
	[ "$status" -ne 2 ] || skip "nested namespaces unavailable: $output"
	assert_success
	assert_output "proc: refused: Operation not permitted"
}

@test "seccomp: syscalls newer than every one a default-deny profile names get ENOSYS, older ones the default" {
	[ "$(uname -m)" = x86_64 ] || skip "syscall numbers are x86_64's"
	local unistd=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
	[ -f "$unistd" ] || skip "no $unistd"
	# The untrusted profile's allow-list as it was before syscall 424
	# (pidfd_send_signal): no clone3 (435), close_range (436), faccessat2 (439).
	local names
	names=$(jq -r '.seccomp.allow[]' "$AL_TOP/specs/profiles/untrusted.json" | while read -r n; do
		awk -v n="__NR_$n" '$1 == "#define" && $2 == n && $3 < 424 { print n }' "$unistd"; done | sed 's/^__NR_//' | jq -R . | jq -s .)
	cp "$HELPER_BIN/probe_syscall" "$BUNDLE/rootfs/probe_syscall"
	update_config --argjson names "$names" '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO",
		architectures: ["SCMP_ARCH_X86_64"], syscalls: [{names: $names, action: "SCMP_ACT_ALLOW"}]}'
	# 451: cachestat, newer than this libseccomp may know; 139: sysfs, old and
	# not allowed (its own error for these arguments would be EINVAL).
	set_args /probe_syscall 435 436 439 451 139
	run_guarded
	assert_success
	[ "$(echo $output)" = "435 ENOSYS 436 ENOSYS 439 ENOSYS 451 ENOSYS 139 EPERM" ] || fail "got: $output"
}

@test "startContainer hooks of a watched (profiled) container: the monitor answers and reports their denied calls" {
	is_airlock || skip "airlock's profiles and verdicts"
	export AIRLOCK_PROFILES_DIR=$AL_TOP/specs/profiles
	# The hook's sethostname is denied by the profile: notified, so it would
	# wait (past its 5 s timeout) for a monitor that only starts after start.
	update_config '.annotations["airlock.profile"] = "untrusted"
		| .hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "hostname x; true"], timeout: 5}]'
	set_args sh -c 'echo program'
	local t0=$SECONDS
	run_guarded --keep
	assert_success
	assert_output_contains program
	[ $((SECONDS - t0)) -lt 5 ] || fail "start waited for the hook's timeout"
	run al verdict --json "$ID"
	assert_success
	[ "$(echo "$output" | jq -r '[.denied_syscalls[] | select(.name == "sethostname")] | length')" -ge 1 ] ||
		fail "sethostname not reported: $output"
}
