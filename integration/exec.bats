#!/usr/bin/env bats
# exec: a new process in a running container, as confined as its init.

load helpers

# Start a long-running container (detached) whose init waits for ever.
start_sleeper() {
	set_args sh -c "${1:-sleep 100000}"
	al run -d --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
}

@test "exec runs a command and exits with its status" {
	start_sleeper
	run al exec "$ID" sh -c 'echo hello; exit 7'
	assert_status 7
	assert_output hello
}

@test "exec joins every namespace of the init" {
	update_config '.linux.namespaces += [{type: "user"}, {type: "time"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	start_sleeper
	run al exec "$ID" sh -c 'for n in pid net mnt ipc uts user cgroup time; do
		[ "$(readlink /proc/1/ns/$n)" = "$(readlink /proc/self/ns/$n)" ] || echo "differs: $n"; done; echo checked'
	assert_success
	assert_output checked
	# From the host: the exec'd process is not in the host's namespaces.
	run al exec "$ID" readlink /proc/self/ns/net
	[ "$output" != "$(readlink /proc/self/ns/net)" ] || fail "exec shares the host's network namespace"
}

@test "exec into a container with a user namespace and a seccomp filter is as confined as init" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	start_sleeper
	run al exec "$ID" sh -c 'cat /proc/self/uid_map; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/x || echo mkdir-denied; touch /tmp/y && echo touch-ok'
	assert_success
	assert_output_contains "0     100000      65536"
	assert_output_contains "Seccomp:	2"
	assert_output_contains "NoNewPrivs:	1"
	assert_output_contains mkdir-denied
	assert_output_contains touch-ok
	# The init's filter and the exec'd process's are the same: check the init too.
	local pid
	pid=$(state_field .pid)
	grep -q "^Seccomp:.*2" "/proc/$pid/status"
}

@test "exec --cwd, --env and the container's env" {
	update_config '.process.env = ["PATH=/bin", "KEEP=1", "FOO=old"]'
	start_sleeper
	run al exec --cwd /tmp -e FOO=new -e BAR=2 "$ID" sh -c 'pwd; echo "$KEEP $FOO $BAR"'
	assert_success
	assert_output "/tmp
1 new 2"
}

@test "exec --user and --additional-gids" {
	start_sleeper
	run al exec -u 1000:2000 -g 3000,3001 "$ID" sh -c 'grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	assert_success
	assert_output_contains "Uid:	1000	1000	1000	1000"
	assert_output_contains "Gid:	2000	2000	2000	2000"
	assert_output_contains "Groups:	3000 3001"
	run al exec -u nobody "$ID" true
	assert_failure
	assert_output_contains "--user"
}

@test "exec --cap adds a capability; without it the process has the config's set" {
	start_sleeper
	run al exec "$ID" sh -c 'grep CapEff /proc/self/status'
	assert_success
	local base; base=$(echo "${output##*:}" | tr -d "[:space:]")
	run al exec --cap CAP_SYS_ADMIN "$ID" sh -c 'grep CapEff /proc/self/status'
	assert_success
	local with; with=$(echo "${output##*:}" | tr -d "[:space:]")
	# CAP_SYS_ADMIN is bit 21.
	[ $(( 0x$with & (1 << 21) )) -ne 0 ] || fail "CAP_SYS_ADMIN not in CapEff $with"
	[ $(( 0x$base & (1 << 21) )) -eq 0 ] || fail "CAP_SYS_ADMIN already in CapEff $base"
	run al exec --cap NOPE "$ID" true
	assert_failure
	assert_output_contains NOPE
}

@test "exec --no-new-privs sets NoNewPrivs even when the config does not" {
	update_config '.process.noNewPrivileges = false'
	start_sleeper
	run al exec "$ID" grep NoNewPrivs /proc/self/status
	assert_output_contains "NoNewPrivs:	0"
	run al exec --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
	assert_output_contains "NoNewPrivs:	1"
}

@test "exec --detach and --pid-file" {
	make_fifos ready
	start_sleeper
	# stdio on files: a pipe would keep bats waiting for the detached process.
	al exec -d --pid-file "$WORK/exec.pid" "$ID" sh -c 'echo up > /ready; sleep 100000' </dev/null >"$WORK/exec.out" 2>&1
	[ "$(wait_fifo "$BUNDLE/rootfs/ready")" = up ]
	local pid
	pid=$(cat "$WORK/exec.pid")
	[ -n "$pid" ] && kill -0 "$pid"
	# The exec'd process is in the container's pid namespace.
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$(state_field .pid)/ns/pid)" ]
	kill -9 "$pid"
}

@test "exec --process FILE" {
	start_sleeper
	cat >"$WORK/process.json" <<-'JSON'
		{"args": ["sh", "-c", "echo from-process-file; pwd; id -u"], "cwd": "/tmp", "env": ["PATH=/bin"],
		 "user": {"uid": 7, "gid": 7}}
	JSON
	run al exec --process "$WORK/process.json" "$ID"
	assert_success
	assert_output "from-process-file
/tmp
7"
	echo '{"args": ["true"], "cwd": "tmp"}' >"$WORK/bad.json"
	run al exec --process "$WORK/bad.json" "$ID"
	assert_failure
	assert_airlock_output_contains "cwd: must be an absolute path"
}

@test "exec --preserve-fds passes extra fds, and no other fd leaks in" {
	start_sleeper
	echo secret >"$WORK/host-secret"
	# fd 3 preserved; fd 9 (a host file) must not reach the container.
	run al exec --preserve-fds 1 "$ID" sh -c 'cat <&3; ls /proc/self/fd | tr "\n" " "' 3<"$WORK/host-secret" 9<"$WORK/host-secret"
	assert_success
	assert_output_contains secret
	refute_output_contains " 9 "
	run al exec "$ID" sh -c 'ls /proc/self/fd | tr "\n" " "' 3<"$WORK/host-secret" 9<"$WORK/host-secret"
	assert_success
	# only stdio and ls's own directory fd
	assert_output "0 1 2 3 "
}

@test "exec --tty sends the pty to the console socket" {
	start_sleeper
	mkfifo "$WORK/ready"
	python3 "$BATS_TEST_DIRNAME/recvtty.py" "$WORK/tty.sock" "$WORK/ready" >"$WORK/tty.out" 2>"$WORK/tty.err" &
	local recv=$!
	wait_fifo "$WORK/ready" >/dev/null
	run al exec -t -d --console-socket "$WORK/tty.sock" "$ID" sh -c 'tty; test -t 0 && echo stdin-is-tty'
	assert_success
	local rc=0
	wait "$recv" || rc=$?
	[ "$rc" -eq 0 ] || fail "recvtty: $(cat "$WORK/tty.err")"
	output=$(tr -d '\r' <"$WORK/tty.out")
	assert_output_contains /dev/pts/
	assert_output_contains stdin-is-tty
}

@test "exec --apparmor and --process-label are refused when the host has no such LSM" {
	is_airlock || skip "airlock-specific message"
	[ ! -e /sys/module/apparmor/parameters/enabled ] || skip "AppArmor present on this host"
	start_sleeper
	run al exec --apparmor some-profile "$ID" true
	assert_failure
	assert_output_contains "AppArmor"
}

@test "exec --cgroup joins a sub-cgroup of the container" {
	is_airlock || skip "airlock's cgroup v2 placement"
	# `spec` gives no cgroup namespace on a hybrid host (as runc): ask for one.
	update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{type: "cgroup"}])'
	start_sleeper
	local pid cg
	pid=$(state_field .pid)
	cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	mkdir "/sys/fs/cgroup/unified$cg/sub"
	run al exec --cgroup sub "$ID" grep '^0::' /proc/self/cgroup
	assert_success
	assert_output "0::/sub"
	run al exec --cgroup ../escape "$ID" true
	assert_failure
	assert_output_contains "--cgroup"
}

@test "exec into a stopped container fails clearly" {
	set_args true
	al create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	al start "$ID"
	wait_status "$ID" stopped
	run al exec "$ID" true
	assert_failure
	assert_airlock_output_contains "is stopped"
}

@test "exec of a missing binary reports why" {
	start_sleeper
	run al exec "$ID" /no/such/program
	assert_failure
	assert_airlock_output_contains "/no/such/program"
	assert_airlock_output_contains "No such file or directory"
}

@test "exec into a paused container needs --ignore-paused" {
	al pause --help >/dev/null 2>&1 || skip "pause is not implemented in this build"
	start_sleeper
	al pause "$ID"
	run al exec "$ID" true
	assert_failure
	assert_airlock_output_contains "paused"
	al resume "$ID"
	run al exec "$ID" true
	assert_success
}

# --- attacker tests: a process inside the container tries to reach the runtime

@test "attacker: an exec'd process never exposes the runtime binary through /proc" {
	is_airlock || skip "checks airlock's own binary path"
	# A watcher inside the container reads every /proc/PID/exe it can while
	# execs come and go; it records any link that leads outside the container.
	start_sleeper 'while :; do for p in /proc/[0-9]*; do l=$(readlink $p/exe 2>/dev/null) || continue; case "$l" in /bin/*|"") ;; *) echo "$p $l" >> /found ;; esac; done; done'
	local i
	for i in $(seq 1 30); do
		al exec "$ID" true
	done
	run al exec "$ID" sh -c 'cat /found 2>/dev/null; echo end'
	assert_output end
}

@test "attacker: an exec'd process's cwd and /proc/self/exe are inside the rootfs" {
	start_sleeper
	cd /etc
	run al exec "$ID" sh -c 'readlink /proc/self/cwd; readlink /proc/self/exe
		if [ -e /proc/self/cwd/passwd ]; then echo host-etc; else echo container-root; fi'
	assert_success
	# cwd is the container's /, the exe is the container's busybox, and the
	# cwd is not the host's /etc the runtime was started from.
	assert_output "/
/bin/sh
container-root"
}

@test "attacker: the exec'd process cannot reach the runtime's open files" {
	start_sleeper
	# The runtime holds the state dir, the container's root and the init's pidfd
	# open while it sets up the exec: none may show up in the container.
	run al exec "$ID" sh -c 'for f in /proc/self/fd/*; do readlink $f; done; echo end'
	assert_success
	refute_output_contains "$ROOT"
	refute_output_contains "pidfd"
	refute_output_contains "/sys/fs/cgroup"
}

# Issue 14: conmon kills the process group of an exec-sync that times out
# (integration/conmon.bats); a process left in its caller's group would take
# the caller down with it. runc puts every non-terminal process in a session
# of its own, and so does airlock: seen from the host, the init and every
# exec'd process (detached or not) lead their own session and group.
@test "the init and exec'd processes lead their own session and process group on the host" {
	update_config '.process.terminal = false'
	start_sleeper
	local me_sid me_pgid pid
	read -r me_pgid me_sid < <(awk '{ print $5, $6 }' /proc/self/stat)
	pid=$(state_field .pid)
	read -r pgid sid < <(awk '{ print $5, $6 }' "/proc/$pid/stat")
	[ "$sid" = "$pid" ] && [ "$pgid" = "$pid" ] || fail "init $pid: sid $sid pgid $pgid"
	al exec --detach --pid-file "$WORK/e.pid" "$ID" sleep 100000 </dev/null >/dev/null 2>&1
	pid=$(cat "$WORK/e.pid")
	read -r pgid sid < <(awk '{ print $5, $6 }' "/proc/$pid/stat")
	[ "$sid" = "$pid" ] && [ "$pgid" = "$pid" ] || fail "detached exec $pid: sid $sid pgid $pgid"
	[ "$sid" != "$me_sid" ] && [ "$pgid" != "$me_pgid" ] || fail "detached exec in the caller's session"
	# In the foreground too (seen inside its pid namespace).
	run al exec "$ID" sh -c 'read -r pid comm state ppid pgrp sid rest < /proc/self/stat; [ "$pid" = "$sid" ] && [ "$pid" = "$pgrp" ] && echo own-session'
	assert_success
	assert_output own-session
}
