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
	# cpu shares 1024 is the kernel's default weight: no limit, so it needs
	# no cpu controller, and both shims accept it even without one.
	run cri update --cpu-shares 1024 "$CTR"
	assert_success
	mv "$W/logs/c.log" "$W/logs/c.log.1"
	run cri reopen-log "$CTR"
	assert_success
	[ -e "$W/logs/c.log" ] || fail "no new log file after ReopenContainerLog"
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}
