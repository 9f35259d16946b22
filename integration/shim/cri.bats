#!/usr/bin/env bats
# The shim through containerd's CRI plugin, driven by our own CRI client
# (cri_client.py): a host-network pod with runtime_handler $HANDLER ("airlock",
# or "runc" when RUNTIME=io.containerd.runc.v2) and our pause image.

SHIM_NEED_CRI=1
load helpers

# A pod: sets $POD and $W (scratch dir with pod.json and logs/).
run_pod() {
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	POD=$(cri run-pod --name "p-$CID" --handler "$HANDLER" \
		--annotation airlock.profile=untrusted --log-dir "$W/logs" \
		--save "$W/pod.json" "$@")
	[ -n "$POD" ]
}

# create_ctr NAME CMD...: sets $CTR.
create_ctr() {
	local name=$1
	shift
	CTR=$(cri create --pod "$POD" --pod-config "$W/pod.json" --name "$name" \
		--image "$IMAGE" --log-path "$name.log" -- "$@")
	[ -n "$CTR" ]
}

@test "cri: the runtime handler is known and the images are there" {
	run cri images
	assert_success
	assert_output_contains "$PAUSE_IMAGE"
	assert_output_contains "$IMAGE"
	run cri version
	assert_success
	assert_output_contains containerd
}

@test "cri: pod lifecycle with runtime_handler $HANDLER" {
	run_pod
	run cri inspect-pod "$POD"
	assert_success
	[ "$(jq -r '.status.state // "SANDBOX_READY"' <<<"$output")" = SANDBOX_READY ] || fail "$output"
	[ "$(jq -r .status.runtime_handler <<<"$output")" = "$HANDLER" ] || fail "$output"
	[ "$(jq -r '.status.annotations["airlock.profile"]' <<<"$output")" = untrusted ] || fail "$output"
	# The sandbox task runs our pause image through the selected shim.
	[ "$(task_status "$POD" k8s.io)" = RUNNING ]

	create_ctr c1 sh -c 'echo started; trap "echo bye; exit 7" TERM; sleep 1000 & wait'
	cri start "$CTR"
	wait_ctr_state "$CTR" CONTAINER_RUNNING

	# CRI writes the container's stdout into its log (CRI log format).
	local i
	for i in $(seq 1 200); do
		grep -q ' stdout F started$' "$W/logs/c1.log" 2>/dev/null && break
		sleep 0.05
	done
	grep ' stdout F started$' "$W/logs/c1.log"

	run cri ps --pod "$POD"
	assert_success
	assert_output_contains "$CTR CONTAINER_RUNNING c1"

	# ExecSync: stdout, stderr and the exit code come back.
	run cri exec-sync "$CTR" -- sh -c 'echo out; echo err >&2; exit 3'
	assert_status 3
	assert_output_contains out
	assert_output_contains err
	run cri exec-sync "$CTR" -- cat /proc/1/cmdline
	assert_success
	assert_output_contains sleep

	run cri stats "$CTR"
	assert_success
	[ "$(jq -r .stats.attributes.id <<<"$output")" = "$CTR" ] || fail "$output"
	[ "$(jq -r '.stats.cpu.timestamp // 0' <<<"$output")" != 0 ] || fail "no cpu stats: $output"

	# StopContainer: SIGTERM reaches the container, its exit code comes back.
	cri stop --timeout 10 "$CTR"
	run cri inspect "$CTR"
	assert_success
	[ "$(jq -r .status.state <<<"$output")" = CONTAINER_EXITED ] || fail "$output"
	[ "$(jq -r .status.exit_code <<<"$output")" = 7 ] || fail "$output"
	grep -q ' stdout F bye$' "$W/logs/c1.log"

	cri rm "$CTR"
	run cri ps --pod "$POD"
	assert_output ""
	cri stop-pod "$POD"
	run cri inspect-pod "$POD"
	[ "$(jq -r .status.state <<<"$output")" = SANDBOX_NOTREADY ] || fail "$output"
	cri rm-pod "$POD"
	run cri pods -q
	assert_output ""
	wait_task_status "$POD" "" k8s.io
}

@test "cri: containers of one pod share one shim" {
	run_pod
	create_ctr a sleep 1000
	local a=$CTR
	cri start "$a"
	create_ctr b sleep 1000
	local b=$CTR
	cri start "$b"
	wait_ctr_state "$a" CONTAINER_RUNNING
	wait_ctr_state "$b" CONTAINER_RUNNING
	local s0 s1 s2
	s0=$(C_NS=k8s.io shim_pid_of "$POD")
	s1=$(C_NS=k8s.io shim_pid_of "$a")
	s2=$(C_NS=k8s.io shim_pid_of "$b")
	[ "$s0" = "$s1" ] && [ "$s1" = "$s2" ] || fail "shims: pod $s0, a $s1, b $s2"
	[ "$(C_NS=k8s.io shim_address "$a")" = "$(C_NS=k8s.io shim_address "$POD")" ]

	# Removing one container leaves the pod's shim serving the others.
	cri stop --timeout 0 "$a"
	cri rm "$a"
	kill -0 "$s0"
	run cri exec-sync "$b" -- echo still
	assert_success
	assert_output still
	cri stop-pod "$POD"
	cri rm-pod "$POD"
	# The last container gone, the shim goes too (teardown checks no strays).
	local i
	for i in $(seq 1 200); do
		kill -0 "$s0" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$s0" 2>/dev/null || fail "shim $s0 still running after its pod was removed"
}

@test "cri: an exec that outlives its timeout is killed" {
	run_pod
	create_ctr c sleep 1000
	cri start "$CTR"
	wait_ctr_state "$CTR" CONTAINER_RUNNING
	run_bounded 30 "$PYTHON" "$BATS_TEST_DIRNAME/cri_client.py" --endpoint "unix://$CTD_SOCK" \
		exec-sync --timeout 1 "$CTR" -- sleep 100
	assert_failure
	# The container is unharmed.
	run cri exec-sync "$CTR" -- echo ok
	assert_success
	assert_output ok
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}

# The CRI container log has all of a container's output, also its last
# writes just before it exits (the shim hands containerd's FIFOs straight
# to an unprofiled container). Several runs: a lost tail is a race.
@test "cri: the container log has all of an exiting container's output" {
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	POD=$(cri run-pod --name "p-$CID" --handler "$HANDLER" --log-dir "$W/logs" --save "$W/pod.json")
	[ -n "$POD" ]
	local want i j got
	want=$(seq 1 3000)
	for i in 1 2 3 4 5; do
		create_ctr "seq$i" seq 1 3000
		cri start "$CTR"
		wait_ctr_state "$CTR" CONTAINER_EXITED
		# containerd writes the log file behind the exit: poll (bounded)
		# for the last line, then compare all of it.
		for j in $(seq 1 100); do
			grep -q ' stdout F 3000$' "$W/logs/seq$i.log" && break
			sleep 0.05
		done
		got=$(sed -n 's/^[^ ]* stdout F //p' "$W/logs/seq$i.log")
		[ "$got" = "$want" ] || fail "run $i: the log has $(printf '%s\n' "$got" | wc -c) of $(printf '%s\n' "$want" | wc -c) bytes, last line: $(tail -1 "$W/logs/seq$i.log")"
		cri rm "$CTR"
	done
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}
