#!/usr/bin/env bats
# SCMP_ACT_NOTIFY and linux.seccomp.listenerPath: the listener fd goes to the
# agent with the container's state; the container never holds it.

load helpers

@test "seccomp notify: the listener fd and the state reach listenerPath" {
	mkfifo "$WORK/ready"
	python3 "$BATS_TEST_DIRNAME/seccomp_listener.py" "$WORK/agent.sock" "$WORK/ready" >"$WORK/agent.out" 2>"$WORK/agent.err" &
	local agent=$!
	wait_fifo "$WORK/ready" >/dev/null
	update_config --arg sock "$WORK/agent.sock" '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock, listenerMetadata: "meta-42",
			syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}'
	# The agent closes the fd at once: the notified mkdir then fails (ENOSYS).
	run_sh 'mkdir /tmp/x 2>&1 && echo made || echo denied; ls -l /proc/self/fd | grep -c seccomp; true'
	local rc=0
	wait "$agent" || rc=$?
	[ "$rc" -eq 0 ] || fail "agent: $(cat "$WORK/agent.err")"
	assert_success
	assert_output_contains denied
	# the container holds no seccomp fd of its own
	[ "${lines[-1]}" = 0 ] || fail "seccomp fds in the container: ${lines[-1]}"
	run cat "$WORK/agent.out"
	assert_output_contains '"fds": ["seccompFd"]'
	assert_output_contains '"metadata": "meta-42"'
	assert_output_contains "\"id\": \"$ID\""
	assert_output_contains fd-received
	assert_output_contains "fd-target anon_inode:seccomp notify"
}

@test "seccomp notify: an unreachable listenerPath fails create with a clear error" {
	is_airlock || skip "airlock's message"
	update_config --arg sock "$WORK/nobody.sock" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		listenerPath: $sock, syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}'
	run_sh true
	assert_failure
	assert_output_contains "linux.seccomp.listenerPath"
	assert_output_contains "nobody.sock"
	[ -z "$(al list -q)" ] || fail "a container was left behind"
}
