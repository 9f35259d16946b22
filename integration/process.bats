#!/usr/bin/env bats
# The container process: args, env, cwd, user, umask, rlimits,
# noNewPrivileges, capabilities, oomScoreAdj, terminal, seccomp.

load helpers

# Field $1 of /proc/self/status as the container sees it.
status_field() {
	echo "$output" | awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ +/, ""); print }'
}

@test "args are passed exactly" {
	set_args sh -c 'printf "%s|" "$0" "$@"' zero "a b" "" 'c"d'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output 'zero|a b||c"d|'
}

@test "env is exactly the configured one" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "HOME=/h"]'
	run_sh 'env | sort'
	assert_success
	assert_output_contains "FOO=bar baz"
	assert_output_contains "EMPTY="
	assert_output_contains "PATH=/bin"
	assert_output_contains "HOME=/h"
	refute_output_contains "TERM="
	refute_output_contains "BATS"
}

# As runc: an env without HOME gets the user's home from the container's
# /etc/passwd, or / for a uid it does not list.
@test "env without HOME gets the user's home from /etc/passwd, in execs too" {
	set_args sh -c 'echo "$HOME"'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output /root
	update_config '.process.user = {"uid": 65534, "gid": 65534}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output /nonexistent
	update_config '.process.user = {"uid": 4321, "gid": 4321}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output /
	# /etc/passwd a symlink: not read (as if missing).
	mv "$BUNDLE/rootfs/etc/passwd" "$BUNDLE/rootfs/etc/passwd.real"
	ln -s passwd.real "$BUNDLE/rootfs/etc/passwd"
	update_config '.process.user = {"uid": 65534, "gid": 65534}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	if is_airlock; then
		assert_output /
	fi
	rm "$BUNDLE/rootfs/etc/passwd"
	mv "$BUNDLE/rootfs/etc/passwd.real" "$BUNDLE/rootfs/etc/passwd"
	# An exec of a process without HOME, by another user.
	update_config '.process.user = {"uid": 0, "gid": 0}'
	set_args sleep 1000
	create_container
	al start "$ID"
	run al exec -u 65534:65534 "$ID" sh -c 'echo "$HOME"'
	assert_success
	assert_output /nonexistent
	run al exec --env HOME=/mine "$ID" sh -c 'echo "$HOME"'
	assert_success
	assert_output /mine
}

@test "cwd" {
	update_config '.process.cwd = "/tmp"'
	run_sh 'pwd'
	assert_success
	assert_output /tmp
}

@test "user uid, gid and additionalGids" {
	update_config '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20]}'
	run_sh 'cat /proc/self/status'
	assert_success
	[ "$(status_field Uid | awk '{$1=$1; print}')" = "1000 1000 1000 1000" ] || fail "Uid: $(status_field Uid)"
	[ "$(status_field Gid | awk '{$1=$1; print}')" = "1001 1001 1001 1001" ] || fail "Gid: $(status_field Gid)"
	[ "$(status_field Groups | awk '{$1=$1; print}')" = "10 20" ] || fail "Groups: $(status_field Groups)"
}

@test "umask" {
	update_config '.process.user.umask = 63'
	run_sh 'umask'
	assert_success
	assert_output 0077
}

@test "rlimits" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1234, hard: 2345}, {type: "RLIMIT_NPROC", soft: 321, hard: 432}]'
	run_sh 'cat /proc/self/limits'
	assert_success
	echo "$output" | grep -Eq '^Max open files +1234 +2345 +files' || fail "$output"
	echo "$output" | grep -Eq '^Max processes +321 +432 +processes' || fail "$output"
}

@test "noNewPrivileges true sets NoNewPrivs" {
	update_config '.process.noNewPrivileges = true'
	run_sh 'cat /proc/self/status'
	assert_success
	[ "$(status_field NoNewPrivs)" = 1 ]
}

@test "noNewPrivileges false leaves NoNewPrivs clear" {
	update_config '.process.noNewPrivileges = false'
	run_sh 'cat /proc/self/status'
	assert_success
	[ "$(status_field NoNewPrivs)" = 0 ]
}

@test "capabilities sets" {
	update_config '.process.capabilities = {
		bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		effective: ["CAP_KILL", "CAP_CHOWN"],
		permitted: ["CAP_KILL", "CAP_CHOWN"],
		inheritable: [],
		ambient: []}'
	run_sh 'cat /proc/self/status'
	assert_success
	# CAP_CHOWN 0, CAP_KILL 5, CAP_NET_BIND_SERVICE 10. (For uid 0, execve
	# makes effective = permitted, so the two are configured equal.)
	[ "$(status_field CapBnd)" = 0000000000000421 ] || fail "CapBnd $(status_field CapBnd)"
	[ "$(status_field CapEff)" = 0000000000000021 ] || fail "CapEff $(status_field CapEff)"
	[ "$(status_field CapPrm)" = 0000000000000021 ] || fail "CapPrm $(status_field CapPrm)"
	[ "$(status_field CapInh)" = 0000000000000000 ] || fail "CapInh $(status_field CapInh)"
}

@test "a capability outside the effective set is not usable" {
	update_config '.root.readonly = false | .process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	run_sh 'touch /f; chown 1:1 /f'
	assert_failure
	assert_output_contains "Operation not permitted"
}

@test "oomScoreAdj" {
	update_config '.process.oomScoreAdj = 500'
	run_sh 'cat /proc/self/oom_score_adj'
	assert_success
	assert_output 500
}

@test "terminal: the pty goes to the console socket" {
	update_config '.process.terminal = true | .process.args = ["sh", "-c", "tty; test -t 0 && test -t 1 && echo all-tty; stty size"]
		| .process.consoleSize = {height: 30, width: 100}'
	mkfifo "$WORK/ready"
	python3 "$BATS_TEST_DIRNAME/recvtty.py" "$WORK/tty.sock" "$WORK/ready" >"$WORK/tty.out" 2>"$WORK/tty.err" &
	local recv=$!
	wait_fifo "$WORK/ready" >/dev/null
	create_container --console-socket "$WORK/tty.sock"
	al start "$ID"
	local rc=0
	wait "$recv" || rc=$?
	[ "$rc" -eq 0 ] || fail "recvtty: $(cat "$WORK/tty.err")"
	output=$(tr -d '\r' <"$WORK/tty.out")
	assert_output_contains /dev/pts/0
	assert_output_contains all-tty
	assert_output_contains "30 100"
}

# A seccomp profile that allows all but mkdir/mkdirat, with action $1.
seccomp_deny_mkdir() {
	update_config --arg a "$1" '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["mkdir", "mkdirat"], action: $a, errnoRet: 1}]}'
}

@test "seccomp: without a filter mkdir works" {
	update_config '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	run_sh 'mkdir /tmp/x && echo made'
	assert_success
	assert_output made
}

@test "seccomp: SCMP_ACT_ERRNO makes mkdir fail with EPERM, the rest works" {
	seccomp_deny_mkdir SCMP_ACT_ERRNO
	run_sh 'touch /tmp/file && echo touched; mkdir /tmp/x && echo made'
	assert_failure
	assert_output_contains touched
	assert_output_contains "Operation not permitted"
	refute_output_contains made
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the process" {
	seccomp_deny_mkdir SCMP_ACT_KILL_PROCESS
	set_args mkdir /tmp/x
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 159 # 128 + SIGSYS
}
