#!/usr/bin/env bats
# CRI calls beyond the basic lifecycle (issue 12), through containerd's CRI
# plugin with runtime_handler $HANDLER: run with RUNTIME=io.containerd.runc.v2
# too, to compare with containerd's runc shim.

SHIM_NEED_CRI=1
load helpers

run_pod() {
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	POD=$(cri run-pod --name "p-$CID" --handler "$HANDLER" --log-dir "$W/logs" \
		--save "$W/pod.json" "$@")
	[ -n "$POD" ]
}

create_ctr() {
	local name=$1
	shift
	CTR=$(cri create --pod "$POD" --pod-config "$W/pod.json" --name "$name" \
		--image "$IMAGE" --log-path "$name.log" -- "$@")
	[ -n "$CTR" ]
}

@test "cri runtime: PodSandboxStats, UpdateContainerResources and ReopenContainerLog answer" {
	run_pod
	create_ctr c sleep 1000
	cri start "$CTR"
	# containerd 1.6.20 reads pod stats from the sandbox's cgroup itself, not
	# through the shim: a pod without cgroup_parent has none, with either shim.
	run cri pod-stats "$POD"
	assert_failure
	assert_output_contains "cgroupPath is empty"
	# cpu shares 1024 is the kernel's default weight. runc's shim accepts it
	# here; airlock's Update still refuses it without a cpu controller in the
	# v2 tree (issue 12 "defaults are not limits", fixed on another branch:
	# once merged, this must assert success for both).
	run cri update --cpu-shares 1024 "$CTR"
	if is_airlock_shim; then
		assert_failure
		assert_output_contains "linux.resources.cpu.shares: the cpu controller is not available"
	else
		assert_success
	fi
	mv "$W/logs/c.log" "$W/logs/c.log.1"
	run cri reopen-log "$CTR"
	assert_success
	[ -e "$W/logs/c.log" ] || fail "no new log file after ReopenContainerLog"
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}
