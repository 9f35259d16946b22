#!/usr/bin/env bats
# Behaviour that runc's clients (podman, conmon, containerd, runc's own
# integration tests) depend on, beyond what the runtime spec says.

load helpers

# A created container whose init waits (never exits on its own).
create_waiting() {
	set_args sleep 1000
	create_container
}

@test "kill with signal 0 checks the container is alive and sends nothing" {
	make_fifos ready go
	# Any signal but 0 would end it with 128+N, or with 7 from its trap.
	set_args sh -c 'for s in HUP INT QUIT USR1 USR2 TERM; do trap "exit 7" $s; done; echo ready > /ready; read x < /go'
	create_container
	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	run al kill "$ID" 0
	assert_success
	[ "$(state_field .status)" = running ] || fail "status after kill 0: $(state_field .status)"
	al kill "$ID" KILL
	wait_status "$ID" stopped
	run al kill "$ID" 0
	assert_failure
	assert_airlock_output_contains "not running"
}

@test "ps of a stopped container succeeds: ps's header only, null in json" {
	set_args true
	create_container
	al start "$ID"
	wait_status "$ID" stopped
	run al ps --format json "$ID"
	assert_success
	assert_output null
	run al ps "$ID"
	assert_success
	[ "${#lines[@]}" -eq 1 ] || fail "more than the header: $output"
	case "${lines[0]}" in
	*PID*CMD*) ;;
	*) fail "no ps header: $output" ;;
	esac
}

@test "exec exits 255 when exec itself fails, else with the program's status" {
	create_waiting
	al start "$ID"
	run al exec "$ID" sh -c 'exit 3'
	assert_status 3
	run al exec "$ID" /no/such/program
	assert_status 255
	assert_airlock_output_contains /no/such/program
	run al exec --cwd /no/such/dir "$ID" true
	assert_status 255
	run al exec nosuchcontainer true
	assert_status 255
	al kill "$ID" KILL
	wait_status "$ID" stopped
	run al exec "$ID" true
	assert_status 255
}

@test "terminal: the pty belongs to the process's uid, group tty, mode 0620; the user can reopen it" {
	update_config '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
	set_args sh -c 'stat -c "%u %g %a" "$(tty)"; echo hi > "$(tty)" && echo reopened'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	# Exactly: no "\r" either (ONLCR is off).
	assert_output $'1000 5 620\nhi\nreopened'
}

@test "terminal: exec -t -u gives the exec'd user its pty too" {
	create_waiting
	al start "$ID"
	run al exec -t -u 1000:1000 "$ID" sh -c 'stat -c "%u %g %a" "$(tty)"; echo hi > "$(tty)" && echo reopened' </dev/null
	assert_success
	assert_output $'1000 5 620\nhi\nreopened'
}

@test "terminal: the console socket's pty does not turn \\n into \\r\\n" {
	update_config '.process.terminal = true'
	set_args printf 'one\ntwo\n'
	mkfifo "$WORK/ready"
	python3 "$BATS_TEST_DIRNAME/recvtty.py" "$WORK/tty.sock" "$WORK/ready" >"$WORK/tty.out" 2>"$WORK/tty.err" &
	local recv=$!
	wait_fifo "$WORK/ready" >/dev/null
	create_container --console-socket "$WORK/tty.sock"
	al start "$ID"
	local rc=0
	wait "$recv" || rc=$?
	[ "$rc" -eq 0 ] || fail "recvtty: $(cat "$WORK/tty.err")"
	[ "$(od -An -c "$WORK/tty.out" | tr -s ' ')" = " o n e \n t w o \n" ] || fail "pty output: $(od -c "$WORK/tty.out")"
}

@test "createContainer hooks run with the rootfs as working directory" {
	update_config --arg out "$WORK/hook.cwd" '.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "pwd -P > \($out)"]}]'
	set_args true
	create_container
	[ "$(cat "$WORK/hook.cwd")" = "$(cd "$BUNDLE/rootfs" && pwd -P)" ] || fail "hook cwd: $(cat "$WORK/hook.cwd")"
}
