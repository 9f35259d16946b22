#!/usr/bin/env bats
# create / start / state / kill / delete / run / list.

load helpers

@test "create, start, exit, delete walk through the states" {
	make_fifos ready go
	set_args sh -c 'echo ready > /ready; read x < /go; exit 0'
	create_container
	[ "$(state_field .status)" = created ]
	local pid
	pid=$(state_field .pid)
	[ "$pid" -gt 0 ] || fail "pid $pid"
	kill -0 "$pid"
	[ "$(state_field .id)" = "$ID" ]
	[ "$(state_field .bundle)" = "$BUNDLE" ]
	# The user process has not run yet.
	[ ! -s "$WORK/stdout" ]

	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready"
	[ "$(state_field .status)" = running ]

	echo go >"$BUNDLE/rootfs/go"
	wait_status "$ID" stopped

	al delete "$ID"
	run al state "$ID"
	assert_failure
	assert_airlock_output_contains "$ID"
	run al list -q
	assert_output ""
}

@test "run passes the container's output and exit status" {
	run_sh 'echo hello from inside; exit 3'
	assert_status 3
	assert_output_contains "hello from inside"
	# Without --keep the container is gone.
	run al state "$ID"
	assert_failure
}

@test "run exits 0 when the container does" {
	run_sh 'true'
	assert_success
}

@test "run exits 128+9 when the container is killed by SIGKILL" {
	make_fifos ready
	run_bg 'echo ready > /ready; sleep 100'
	wait_fifo "$BUNDLE/rootfs/ready"
	al kill "$ID" KILL
	wait_bg
	assert_status 137
}

@test "run --detach returns while the container runs" {
	make_fifos ready
	set_args sh -c 'echo ready > /ready; sleep 100'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready"
	[ "$(state_field .status)" = running ]
	al kill "$ID" KILL
	wait_status "$ID" stopped
	al delete "$ID"
}

@test "run --keep leaves the stopped container for state" {
	set_args sh -c 'exit 5'
	run al run --keep --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 5
	[ "$(state_field .status)" = stopped ]
	al delete "$ID"
}

@test "create of an existing id fails and keeps the first" {
	set_args sleep 100
	create_container
	local pid
	pid=$(state_field .pid)
	run_create
	assert_failure
	assert_airlock_output_contains "$ID"
	assert_output_contains "exist"
	[ "$(state_field .pid)" = "$pid" ]
	[ "$(state_field .status)" = created ]
}

@test "invalid container ids are refused" {
	local long
	long=$(printf 'a%.0s' $(seq 1 1025))
	local id
	for id in a/b .. "$long" ""; do
		status=0
		al create --bundle "$BUNDLE" "$id" </dev/null >"$WORK/create.out" 2>&1 || status=$?
		output=$(cat "$WORK/create.out")
		assert_failure
	done
	[ -z "$(al list -q)" ] || fail "something was created"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ] || fail "state dirs left: $(ls "$ROOT")"
}

@test "--pid-file gets the init pid" {
	set_args sleep 100
	create_container --pid-file "$WORK/pidfile"
	[ "$(cat "$WORK/pidfile")" = "$(state_field .pid)" ]
}

@test "list shows containers as a table, as json and quietly" {
	set_args sleep 100
	create_container
	run al list
	assert_success
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER ]] || fail "header: ${lines[0]}"
	[[ "${lines[1]}" =~ ^$ID\ +[0-9]+\ +created\ +$BUNDLE\ + ]] || fail "row: ${lines[1]}"

	run al list --format json
	assert_success
	[ "$(echo "$output" | jq -r '.[0].id')" = "$ID" ]
	[ "$(echo "$output" | jq -r '.[0].status')" = created ]
	[ "$(echo "$output" | jq -r '.[0].bundle')" = "$BUNDLE" ]
	[ "$(echo "$output" | jq -r '.[0].pid')" = "$(state_field .pid)" ]

	run al list -q
	assert_output "$ID"
}

# kill with signal $1; the container traps TERM and exits 42.
kill_with() {
	make_fifos ready
	run_bg 'trap "exit 42" TERM; echo ready > /ready; sleep 100 & wait'
	wait_fifo "$BUNDLE/rootfs/ready"
	al kill "$ID" "$1"
	wait_bg
}

@test "kill TERM delivers SIGTERM" {
	kill_with TERM
	assert_status 42
}

@test "kill SIGTERM delivers SIGTERM" {
	kill_with SIGTERM
	assert_status 42
}

@test "kill 15 delivers SIGTERM" {
	kill_with 15
	assert_status 42
}

@test "kill KILL and kill 9 deliver SIGKILL" {
	kill_with KILL
	assert_status 137
	teardown
	setup
	kill_with 9
	assert_status 137
}

@test "kill without a signal sends SIGTERM" {
	make_fifos ready
	run_bg 'trap "exit 42" TERM; echo ready > /ready; sleep 100 & wait'
	wait_fifo "$BUNDLE/rootfs/ready"
	al kill "$ID"
	wait_bg
	assert_status 42
}

@test "kill with an unknown signal fails" {
	set_args sleep 100
	create_container
	run al kill "$ID" NOTASIGNAL
	assert_failure
	[ "$(state_field .status)" = created ]
}

@test "kill --all kills every process of the container" {
	make_fifos ready
	set_args sh -c 'sleep 100 & sleep 100 & echo ready > /ready; wait'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready"
	al kill --all "$ID" KILL
	wait_status "$ID" stopped
}

# CRI-O runs `kill --all ID 9` once the init of a container sharing the
# host's pid namespace has exited, and fails the container's status update
# when that fails. runc exits 0 there; a plain kill of a stopped container
# stays an error in both.
@test "kill --all of a stopped container succeeds, a plain kill fails" {
	set_args true
	create_container
	al start "$ID"
	wait_status "$ID" stopped
	run al kill --all "$ID" 9
	assert_success
	run al kill -a "$ID" KILL
	assert_success
	run al kill --all "$ID" TERM
	assert_success
	run al kill "$ID" 9
	assert_failure
	assert_airlock_output_contains "is not running"
	[ "$(state_field .status)" = stopped ]
	al delete "$ID"
}

@test "delete of a running container needs --force" {
	make_fifos ready
	set_args sh -c 'echo ready > /ready; sleep 100'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready"
	local pid
	pid=$(state_field .pid)
	run al delete "$ID"
	assert_failure
	assert_airlock_output_contains "$ID"
	[ "$(state_field .status)" = running ]

	al delete --force "$ID"
	run al state "$ID"
	assert_failure
	# The init is gone (it was our grandchild, so it is reaped by now or soon:
	# a zombie would show as Z).
	if [ -e "/proc/$pid/stat" ]; then
		[ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ] || fail "init $pid still alive"
	fi
}

@test "delete of a created container works without --force" {
	set_args sleep 100
	create_container
	local pid
	pid=$(state_field .pid)
	al delete "$ID"
	run al state "$ID"
	assert_failure
}

@test "state of an unknown container fails" {
	run al state nosuchcontainer
	assert_failure
	assert_airlock_output_contains "nosuchcontainer"
}

# Issue 12, "kill TERM then delete finds it still running": `start` returned
# before the init had exec'd the program, and a TERM sent then reached pid 1
# of the pid namespace while it was still the runtime's code, with no
# handler: ignored. `start` now returns once the program runs.
@test "after start returns, the init is already the program" {
	set_args sleep 1000
	local i pid comm
	for i in $(seq 1 30); do
		al create --bundle "$BUNDLE" "$ID-$i" </dev/null >/dev/null 2>&1
		pid=$(state_field .pid "$ID-$i")
		al start "$ID-$i"
		comm=$(cat "/proc/$pid/comm")
		[ "$comm" = sleep ] || fail "run $i: the init is still \"$comm\" after start returned"
		al delete --force "$ID-$i"
	done
}
