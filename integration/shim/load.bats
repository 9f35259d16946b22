#!/usr/bin/env bats
# Load through the shim: LOAD_PODS (default 50) pods (RunPodSandbox with
# runtime handler $HANDLER, our pause image, host network) started at once
# through containerd's CRI plugin, one thread per call (cri_client.py
# run-pods). All must be ready with a shim each; after they are stopped and
# removed (also all at once) nothing is left: no pod, no shim or pause
# process, no mount, no libairlock state, no cgroup, no shim socket.
# Correctness only; hack/bench/load.sh measures the throughput.

SHIM_NEED_CRI=1
load helpers

# Live processes holding our containerd socket in their argv (the shims).
our_shims() {
	grep -laP -- "\\x00\\Q$CTD_SOCK\\E\\x00" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 \
		| grep -vx -e "$$" -e "$CTD_PID" | while read -r p; do
		grep -q "containerd-shim" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
	done
	return 0
}

@test "load: ${LOAD_PODS:-50} pods started at once through the shim are all ready, and leave nothing" {
	local n=${LOAD_PODS:-50} pods t0=$SECONDS
	mkdir -p "$CTD_DIR/work/logs"
	run cri run-pods --count "$n" --name-prefix "p-$CID" --handler "$HANDLER" \
		--log-dir "$CTD_DIR/work/logs"
	pods=$(echo "$output" | grep -E '^[0-9a-f]{64}$' || true)
	[ "$status" -eq 0 ] || fail "run-pods failed (status $status): $output"
	[ "$(echo "$pods" | wc -l)" -eq "$n" ] || fail "$(echo "$pods" | wc -l) pod ids of $n: $output"

	local p ready
	echo "# $n pods started in $((SECONDS - t0)) s" >&3
	ready=$(cri pods | awk -v h="$HANDLER" '$2 == "SANDBOX_READY" && $4 == h' | grep -cF -f <(echo "$pods"))
	[ "$ready" -eq "$n" ] || fail "$ready of $n pods ready: $(cri pods)"
	local shims
	shims=$(our_shims | wc -l)
	[ "$shims" -eq "$n" ] || fail "$shims shims for $n pods"
	if is_airlock_shim; then
		local dirs
		dirs=$(find /run/airlock-shim/k8s.io -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
		[ "$dirs" -ge "$n" ] || fail "$dirs libairlock state dirs for $n pods"
	fi

	t0=$SECONDS
	run cri stop-rm-pods $pods
	[ "$status" -eq 0 ] || fail "stop-rm-pods failed (status $status): $output"
	echo "# $n pods stopped and removed in $((SECONDS - t0)) s" >&3
	[ -z "$(cri pods-q)" ] || fail "pods left: $(cri pods)"

	# The shims exit once their last container is gone (bounded wait).
	local end=$((SECONDS + 20))
	while [ -n "$(our_shims)" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
	[ -z "$(our_shims)" ] || fail "shims left: $(ps_of $(our_shims))"
	local left=
	for p in $pods; do
		[ -e "/run/airlock-shim/k8s.io/$p" ] && left="$left state:$p"
		for cg in $(find /sys/fs/cgroup/unified -name "*$p*" 2>/dev/null); do left="$left cgroup:$cg"; done
		grep -qF "$p" /proc/self/mountinfo && left="$left mount:$p"
	done
	[ -z "$left" ] || fail "left behind:$left"
	local socks
	socks=$(shim_sockets)
	for p in $socks; do
		[ -e "$p" ] && left="$left socket:$p"
	done
	[ -z "$left" ] || fail "left behind:$left"
}
