#!/usr/bin/env bats
# The shim killed with SIGKILL mid-Create and mid-Exec. strace holds the
# shim's worker (the forked process that runs al_container_create or
# al_container_exec) at its clone3 of the new process, that is after the
# state dir, config and cgroup exist and before the process does; then the
# shim dies. The worker dies with it (PR_SET_PDEATHSIG), containerd runs the
# shim's `delete`, and nothing is left: no state dir under
# /run/airlock-shim/<ns>, no cgroup, no mount, no process (teardown checks
# processes and mounts under containerd's dirs too).

SHIM_NEED_CRI=1
load helpers

SHIM_STATE=/run/airlock-shim
CGROOT=/sys/fs/cgroup/unified

not_alive() {
	! kill -0 "$1" 2>/dev/null
}

# SIGKILL pending for the process (a tracee held in its syscall-entry stop
# acts on it only once its tracer lets it go).
sigkill_pending() {
	local m
	m=$(awk '/^ShdPnd:/ { print $2 }' "/proc/$1/status")
	(((0x$m >> 8) & 1))
}

# Start strace on the shim (and the workers it forks), holding every clone3
# at its entry for a minute. Sets STRACE_PID.
hold_clone3() {
	command -v strace >/dev/null || skip "strace is not installed (hack/deps.sh installs it)"
	strace -f -p "$1" -o "$CTD_DIR/work/$CID.strace" -e trace=clone3 -e inject=clone3:delay_enter=60s &
	STRACE_PID=$!
	# Attached once strace reports the shim's state as traced.
	until_ok 10 grep -q '^TracerPid:[[:space:]]*'"$STRACE_PID" "/proc/$1/status"
}

# A child of shim $1 held by strace (state t): the worker at its clone3.
held_worker() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(awk '/^PPid:/ { print $2 }' "$p/status" 2>/dev/null)" = "$1" ] || continue
		grep -q '^State:[[:space:]]*t' "$p/status" 2>/dev/null || continue
		# The worker, not a container process: it is the shim's own binary.
		[ "$(readlink "$p/exe")" = "$(readlink "/proc/$1/exe")" ] || continue
		echo "${p#/proc/}"
		return 0
	done
	return 1
}

stop_strace() {
	kill -TERM "$STRACE_PID" 2>/dev/null || true
	wait "$STRACE_PID" 2>/dev/null || true
}

# Nothing of container $1 (namespace $2) is left in the shim's state, the
# cgroups or the mount table.
assert_no_trace_of() {
	local id=$1 ns=$2
	until_ok 15 test ! -e "$SHIM_STATE/$ns/$id"
	[ -z "$(find "$CGROOT" -name "$id" 2>/dev/null)" ] || fail "cgroup left: $(find "$CGROOT" -name "$id")"
	run grep -F "/$id/" /proc/self/mountinfo
	assert_failure
}

@test "kill: the shim killed mid-Exec, then containerd cleans up everything" {
	mkdir -p "$CTD_DIR/work"
	run_detached "$CID" sh -c 'sleep 1000 & wait'
	wait_task_status "$CID" RUNNING
	local shim init
	shim=$(shim_pid_of "$CID")
	init=$(task_pid "$CID")
	hold_clone3 "$shim"
	ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id x1 "$CID" sleep 500 </dev/null \
		>"$CTD_DIR/work/$CID.exec" 2>&1 &
	local client=$! worker
	until_ok 15 held_worker "$shim"
	worker=$(held_worker "$shim")
	kill -KILL "$shim"
	until_ok 15 not_alive "$shim"
	# The worker does not outlive its shim: SIGKILL (its parent-death
	# signal) is pending; it takes effect once strace lets go, where the
	# worker would otherwise go on with the exec.
	until_ok 15 sigkill_pending "$worker"
	stop_strace
	until_ok 15 not_alive "$worker"
	# The exec fails: its shim is gone.
	local rc=0
	wait "$client" || rc=$?
	[ "$rc" -ne 0 ] || fail "exec succeeded: $(cat "$CTD_DIR/work/$CID.exec")"
	c task delete -f "$CID" >/dev/null 2>&1 || true
	wait_task_status "$CID" ""
	c container delete "$CID"
	until_ok 15 not_alive "$init"
	assert_no_trace_of "$CID" "$NS"
	# The shim's `delete` logged nothing alarming into containerd's log.
	! grep -F "$CID" "$CTD_DIR/containerd.log" | grep -i "delete $CID:" || fail "shim delete failed"
}

@test "kill: the shim killed mid-Create of a pod's container, then CRI removes it cleanly" {
	local w=$CTD_DIR/work/$CID pod ctr shim worker
	mkdir -p "$w"
	pod=$(cri run-pod --name "p-$CID" --handler "$HANDLER" --save "$w/pod.json")
	C_NS=k8s.io wait_task_status "$pod" RUNNING
	shim=$(C_NS=k8s.io shim_pid_of "$pod")
	ctr=$(cri create --pod "$pod" --pod-config "$w/pod.json" --name c --image "$IMAGE" -- sleep 1000)
	hold_clone3 "$shim"
	cri start "$ctr" >"$w/start.out" 2>&1 &
	local client=$!
	until_ok 15 held_worker "$shim"
	worker=$(held_worker "$shim")
	# Mid-Create: the container's state dir and cgroup exist, its init not yet.
	[ -d "$SHIM_STATE/k8s.io/$ctr" ] || fail "no state dir for $ctr"
	[ ! -e "$SHIM_STATE/k8s.io/$ctr/state.json" ] || fail "state.json already there"
	kill -KILL "$shim"
	until_ok 15 not_alive "$shim"
	until_ok 15 sigkill_pending "$worker"
	stop_strace
	until_ok 15 not_alive "$worker"
	local rc=0
	wait "$client" || rc=$?
	[ "$rc" -ne 0 ] || fail "start succeeded: $(cat "$w/start.out")"
	cri rm "$ctr" || true
	cri stop-pod "$pod"
	cri rm-pod "$pod"
	run cri pods -q
	assert_output ""
	C_NS=k8s.io wait_task_status "$pod" ""
	assert_no_trace_of "$ctr" k8s.io
	assert_no_trace_of "$pod" k8s.io
}

@test "kill: failing Execs leave no fd behind in the shim" {
	run_detached "$CID" sh -c 'sleep 1000 & wait'
	wait_task_status "$CID" RUNNING
	local shim before after i
	shim=$(shim_pid_of "$CID")
	# One exec first: whatever the shim opens once (and keeps) is open now.
	run_bounded 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id w0 "$CID" true </dev/null
	assert_success
	before=$(ls "/proc/$shim/fd" | wc -l)
	for i in 1 2 3 4 5; do
		run_bounded 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id f$i "$CID" /no/such/program </dev/null
		assert_failure
		assert_output_contains "/no/such/program"
	done
	after=$(ls "/proc/$shim/fd" | wc -l)
	[ "$after" -eq "$before" ] || fail "shim fds: $before before, $after after: $(ls -l "/proc/$shim/fd")"
}
