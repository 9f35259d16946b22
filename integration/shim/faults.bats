#!/usr/bin/env bats
# Faults: a shim killed with SIGKILL, containerd restarted under a running
# pod, a client hanging up mid-Wait, malformed and oversized ttrpc frames.
# After each, the shim still serves (or containerd cleans up after it) and
# nothing leaks (teardown checks processes and mounts).

SHIM_NEED_CRI=1
load helpers

shim_alive() {
	kill -0 "$1" 2>/dev/null
}

not_alive() {
	! kill -0 "$1" 2>/dev/null
}

# The task still answers through containerd: an exec runs.
assert_serves() {
	run_bounded 30 ctr --address "$CTD_SOCK" -n "${C_NS:-$NS}" task exec --exec-id "chk$RANDOM" \
		"$1" echo serving </dev/null
	assert_success
	assert_output serving
}

@test "faults: kill -9 of the shim, then containerd cleans up everything" {
	run_detached "$CID" sh -c 'sleep 1000 & wait'
	wait_task_status "$CID" RUNNING
	local shim init bundle
	shim=$(shim_pid_of "$CID")
	init=$(task_pid "$CID")
	bundle=$(bundle_of "$CID")
	kill -KILL "$shim"
	until_ok 15 not_alive "$shim"
	# containerd sees the connection drop and runs the shim's `delete`:
	# the task goes away (or is reported stopped).
	local end=$((SECONDS + 20)) s
	while [ "$SECONDS" -lt "$end" ]; do
		s=$(task_status "$CID")
		[ -z "$s" ] || [ "$s" = STOPPED ] || [ "$s" = UNKNOWN ] && break
		sleep 0.05
	done
	[ -z "$s" ] || [ "$s" = STOPPED ] || [ "$s" = UNKNOWN ] || fail "task still $s after its shim died"
	c task delete -f "$CID" >/dev/null 2>&1 || true
	wait_task_status "$CID" ""
	c container delete "$CID"
	# The container's processes are gone, its rootfs unmounted, the bundle removed.
	until_ok 15 not_alive "$init"
	run grep -F " $bundle/" /proc/self/mountinfo
	assert_failure
	until_ok 15 test ! -e "$bundle"
	# And a new container runs fine.
	run_bounded 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
		"$IMAGE" "$CID-2" echo again </dev/null
	assert_success
	assert_output again
}

@test "faults: kill -9 of a pod's shim, then the CRI pod is removed cleanly" {
	local w=$CTD_DIR/work/$CID pod ctr shim
	mkdir -p "$w"
	pod=$(cri run-pod --name "p-$CID" --handler "$HANDLER" --save "$w/pod.json")
	ctr=$(cri create --pod "$pod" --pod-config "$w/pod.json" --name c --image "$IMAGE" -- sleep 1000)
	cri start "$ctr"
	C_NS=k8s.io wait_task_status "$ctr" RUNNING
	shim=$(C_NS=k8s.io shim_pid_of "$ctr")
	kill -KILL "$shim"
	until_ok 15 not_alive "$shim"
	cri stop --timeout 1 "$ctr" || true
	cri rm "$ctr"
	cri stop-pod "$pod"
	cri rm-pod "$pod"
	run cri pods -q
	assert_output ""
	C_NS=k8s.io wait_task_status "$pod" ""
}

@test "faults: containerd restarts while a container and a pod run" {
	local w=$CTD_DIR/work/$CID pod ctr shim1 shim2
	mkdir -p "$w"
	run_detached "$CID" sleep 1000
	wait_task_status "$CID" RUNNING
	pod=$(cri run-pod --name "p-$CID" --handler "$HANDLER" --save "$w/pod.json")
	ctr=$(cri create --pod "$pod" --pod-config "$w/pod.json" --name c --image "$IMAGE" -- sleep 1000)
	cri start "$ctr"
	C_NS=k8s.io wait_task_status "$ctr" RUNNING
	shim1=$(shim_pid_of "$CID")
	shim2=$(C_NS=k8s.io shim_pid_of "$ctr")

	ctd_restart

	# containerd reconnected to both shims: same processes, tasks running.
	shim_alive "$shim1"
	shim_alive "$shim2"
	wait_task_status "$CID" RUNNING
	C_NS=k8s.io wait_task_status "$ctr" RUNNING
	assert_serves "$CID"
	C_NS=k8s.io assert_serves "$ctr"
	run cri exec-sync "$ctr" -- echo cri-ok
	assert_success
	assert_output cri-ok
	run cri inspect-pod "$pod"
	[ "$(jq -r '.status.state // "SANDBOX_READY"' <<<"$output")" = SANDBOX_READY ] || fail "$output"

	# Exits are still reported after the restart.
	c task kill -s KILL "$CID"
	wait_task_status "$CID" STOPPED
	c task delete "$CID" >/dev/null
	c container delete "$CID"
	cri stop --timeout 1 "$ctr"
	run cri inspect "$ctr"
	[ "$(jq -r .status.state <<<"$output")" = CONTAINER_EXITED ] || fail "$output"
	cri rm "$ctr"
	cri stop-pod "$pod"
	cri rm-pod "$pod"
}

@test "faults: a client that hangs up mid-Wait does not disturb the shim" {
	run_detached "$CID" sleep 1000
	wait_task_status "$CID" RUNNING
	local shim addr
	shim=$(shim_pid_of "$CID")
	addr=$(shim_address "$CID")
	run_bounded 30 "$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$addr" wait-disconnect --ns "$NS" --id "$CID"
	echo "$output"
	assert_success
	# Several times over, and several at once.
	local i pids=()
	for i in 1 2 3 4 5; do
		ttrpc "$addr" wait-disconnect --ns "$NS" --id "$CID" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	shim_alive "$shim"
	assert_serves "$CID"
	# containerd's own Wait is still answered when the task exits.
	c task kill -s KILL "$CID"
	wait_task_status "$CID" STOPPED
	run c task delete "$CID"
	assert_success
	c container delete "$CID"
}

@test "faults: malformed ttrpc frames: the shim answers or hangs up, and still serves" {
	run_detached "$CID" sleep 1000
	wait_task_status "$CID" RUNNING
	local shim addr
	shim=$(shim_pid_of "$CID")
	addr=$(shim_address "$CID")
	run_bounded 60 "$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$addr" malformed --ns "$NS"
	echo "$output"
	assert_success
	# Unknown methods and services are answered Unimplemented (12).
	assert_output_contains "unknown-method: stream=3 code=12"
	assert_output_contains "unknown-service: stream=5 code=12"
	shim_alive "$shim"
	# Well-formed calls on a fresh connection still work.
	run_bounded 30 "$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$addr" call State --ns "$NS" --id "$CID"
	assert_success
	assert_output_contains "code=0"
	run_bounded 30 "$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$addr" call State --ns "$NS" --id no-such-task
	assert_success
	assert_output_contains "code=5"
	if [ "$RUNTIME" = io.containerd.airlock.v2 ]; then
		# containerd 2.x's task API, containerd.task.v3.Task, is served too
		# (runc's 1.6 shim has only v2).
		run_bounded 30 "$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$addr" call State --ns "$NS" --id "$CID" \
			--service containerd.task.v3.Task
		assert_success
		assert_output_contains "code=0"
	fi
	assert_serves "$CID"
}

@test "start: the bare address for containerd 1.6, the JSON bootstrap reply when MAX_SHIM_VERSION asks" {
	local b="$CTD_DIR/bootstrap" out addr
	mkdir -p "$b"
	echo '{}' >"$b/config.json"
	out=$(cd "$b" && MAX_SHIM_VERSION=3 "$BUILD_DIR/containerd-shim-airlock-v2" -namespace bootstrap-test \
		-address "$CTD_SOCK" -id bs-$$ start)
	echo "$out" | jq -e '.version == 3 and .protocol == "ttrpc" and (.address | startswith("unix:///run/containerd/s/"))' \
		>/dev/null || fail "bootstrap reply: $out"
	addr=$(echo "$out" | jq -r .address)
	# Asked again without MAX_SHIM_VERSION (1.6): the same live shim, bare address.
	out=$(cd "$b" && "$BUILD_DIR/containerd-shim-airlock-v2" -namespace bootstrap-test -address "$CTD_SOCK" -id bs-$$ start)
	[ "$out" = "$addr" ] || fail "1.6 reply: $out (wanted $addr)"
	# An idle shim with no container: Shutdown ends it.
	run_bounded 30 "$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$addr" call Shutdown --ns bootstrap-test
	assert_success
	local path=${addr#unix://} i
	for i in $(seq 100); do [ -S "$path" ] || break; sleep 0.1; done
	[ ! -S "$path" ] || { rm -f "$path"; fail "the shim kept its socket after Shutdown"; }
}

@test "faults: an oversized ttrpc frame is refused, the shim still serves" {
	run_detached "$CID" sleep 1000
	wait_task_status "$CID" RUNNING
	local shim addr
	shim=$(shim_pid_of "$CID")
	addr=$(shim_address "$CID")
	run_bounded 60 "$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$addr" oversized
	echo "$output"
	assert_success
	shim_alive "$shim"
	assert_serves "$CID"
	c task kill -s KILL "$CID"
	wait_task_status "$CID" STOPPED
}
