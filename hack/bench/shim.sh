#!/bin/bash
# shim.sh: the same container workload through containerd with
# io.containerd.airlock.v2 and io.containerd.runc.v2, side by side:
# start latency of a pod (one container = one shim, `ctr run -d` until the
# task runs) and the shim's memory per pod (RSS and PSS of the shim process).
#
#   hack/bench/shim.sh [--pods N] [--runtimes "airlock runc"]
#   hack/bench/shim.sh --pod-userns [--pods N]
#
# Each runtime gets its own private containerd 1.6 (integration/shim/helpers.bash:
# own root, state, socket; our busybox image imported offline). N pods
# (default 10) are started one after another, each running `sleep`; the
# latency of each start is measured, then the RSS/PSS of every shim serving
# them is read while all N run. Targets (issue 5): airlock's shim RSS <= 1/8
# of runc's; start latency <= 0.7x runc's.
#
# --pod-userns: the cost of the per-pod user namespace (issue 13), through
# containerd's CRI with the airlock shim: N rounds, each starting one pod
# under untrusted-pod (a user namespace for the pod, its pool slot, the
# idmapped rootfs layers and CRI files) and one under the same profile
# without the user namespace (a copy with "user" taken out), order
# alternating; each start is RunPodSandbox + CreateContainer +
# StartContainer of a busybox `sleep`, timed inside one CRI client. Target:
# with <= 1.10x without.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pods=10
runtimes="airlock runc"
pod_userns=0
usage() { sed -n '2,15s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--pods) pods=${2:?--pods needs a number}; shift 2 ;;
	--runtimes) runtimes=${2:?}; shift 2 ;;
	--pod-userns) pod_userns=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

# The test helpers give us a private containerd; they expect bats' variables.
BATS_TEST_DIRNAME=$top/integration/shim
# shellcheck source=../../integration/shim/helpers.bash
source "$top/integration/shim/helpers.bash"

results=$(mktemp -d /tmp/shim-bench.XXXXXX)
cleanup() {
	if [ -n "${CTD_DIR:-}" ] && [ -d "$CTD_DIR" ]; then
		shim_teardown_file >/dev/null 2>&1 || true
	fi
	rm -rf "$results"
}
trap cleanup EXIT

# stats FILE: "n mean min median max" of the numbers in FILE (one a line).
stats() {
	sort -n "$1" | awk '{ v[NR] = $1; s += $1 } END {
		if (NR == 0) { print "0 0 0 0 0"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %.1f %.1f %.1f %.1f\n", NR, s / NR, v[1], m, v[NR] }'
}

bench_one() {
	local name=$1 i t0 t1 id shim pid
	case $name in
	airlock) RUNTIME=io.containerd.airlock.v2 ;;
	runc) RUNTIME=io.containerd.runc.v2 ;;
	*) echo "unknown runtime $name" >&2; return 1 ;;
	esac
	if [ "$name" = airlock ] && ! [ -x "$BUILD_DIR/containerd-shim-airlock-v2" ]; then
		echo "# $name: $BUILD_DIR/containerd-shim-airlock-v2 missing, skipped" >&2
		return 0
	fi
	shim_setup_file
	# One warm-up run (page cache, snapshotter).
	c run --rm --runtime "$RUNTIME" --cpu-shares 0 "$IMAGE" warmup true </dev/null >/dev/null
	: >"$results/$name.lat"
	: >"$results/$name.rss"
	: >"$results/$name.pss"
	for i in $(seq 1 "$pods"); do
		id=bench-$i
		t0=$(date +%s%N)
		c run -d --runtime "$RUNTIME" --cpu-shares 0 "$IMAGE" "$id" sleep 100000 </dev/null >/dev/null
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 ))" | awk '{ printf "%.2f\n", $1 / 1000 }' >>"$results/$name.lat"
	done
	for i in $(seq 1 "$pods"); do
		shim=$(shim_pid_of "bench-$i")
		echo "$shim"
	done | sort -u >"$results/$name.shims"
	while read -r pid; do
		awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" >>"$results/$name.rss"
		awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" >>"$results/$name.pss"
	done <"$results/$name.shims"
	shim_cleanup_tasks
	shim_teardown_file
	unset CTD_DIR
}

bench_pod_userns() {
	RUNTIME=io.containerd.airlock.v2
	SHIM_NEED_CRI=1
	CTD_AIRLOCK_EXTRA='      pod_annotations = ["airlock.*"]
      container_annotations = ["airlock.*"]'
	local prof=$results/profiles
	mkdir -p "$prof"
	cp "$top/specs/profiles/untrusted-pod.json" "$prof/"
	jq '.name = "untrusted-pod-hostusers" | .namespaces.new -= ["user"] | .namespaces.mayJoin -= ["user"]
		| del(.user) | .writableBinds = "readonly"' "$top/specs/profiles/untrusted-pod.json" \
		>"$prof/untrusted-pod-hostusers.json"
	export AIRLOCK_PROFILES_DIR=$prof
	shim_setup_file
	mkdir -p "$results/logs"
	# One warm-up round (page cache, snapshotter, the client's imports).
	cri time-pods --count 1 --name-prefix warm --image "$IMAGE" --handler airlock --log-dir "$results/logs" \
		--variant userns:airlock.profile=untrusted-pod --variant hostusers:airlock.profile=untrusted-pod-hostusers \
		-- sleep 100000 >/dev/null
	cri time-pods --count "$pods" --name-prefix bench --image "$IMAGE" --handler airlock --log-dir "$results/logs" \
		--variant userns:airlock.profile=untrusted-pod --variant hostusers:airlock.profile=untrusted-pod-hostusers \
		-- sleep 100000 >"$results/pods"
	shim_cleanup_tasks
	shim_teardown_file
	unset CTD_DIR
	awk '$1 == "userns" { print $2 }' "$results/pods" >"$results/userns.lat"
	awk '$1 == "hostusers" { print $2 }' "$results/pods" >"$results/hostusers.lat"
	printf '%-28s %5s %10s %10s %10s\n' "untrusted-pod pod start" pods "mean ms" "min ms" "median ms"
	local v n mean min med
	for v in userns hostusers; do
		read -r n mean min med _ < <(stats "$results/$v.lat")
		printf '%-28s %5d %10.1f %10.1f %10.1f\n' "$([ $v = userns ] && echo "with the pod's userns" || echo "without (host users)")" \
			"$n" "$mean" "$min" "$med"
		eval "mean_$v=$mean med_$v=$med"
	done
	# Where the time goes: RunPodSandbox (a shim, the sandbox's create and
	# start), CreateContainer, StartContainer.
	awk '{ n[$1]++; p[$1] += $3; c[$1] += $4; s[$1] += $5 } END {
		for (k in n) printf "  %-10s mean ms: RunPodSandbox %.1f, CreateContainer %.1f, StartContainer %.1f\n",
			k, p[k] / n[k], c[k] / n[k], s[k] / n[k] }' "$results/pods" | sort
	awk -v a="$mean_userns" -v b="$mean_hostusers" -v ma="$med_userns" -v mb="$med_hostusers" 'BEGIN {
		printf "with/without the per-pod user namespace: mean %.3fx, median %.3fx (target <= 1.10x: %s)\n",
			a / b, ma / mb, (ma / mb <= 1.10) ? "met" : "NOT met" }'
	echo "load average: $(cut -d" " -f1-3 /proc/loadavg) (on $(nproc) cores: ratios above mean little under load)"
}

if [ "$pod_userns" = 1 ]; then
	bench_pod_userns
	exit 0
fi

for r in $runtimes; do
	bench_one "$r"
done

printf '%-8s %5s %10s %10s %10s %8s %12s %12s\n' runtime pods "start ms" "min ms" \
	"median ms" shims "RSS KiB/pod" "PSS KiB/pod"
for r in $runtimes; do
	[ -s "$results/$r.lat" ] || continue
	read -r n mean min med _ < <(stats "$results/$r.lat")
	read -r _ rss _ < <(stats "$results/$r.rss")
	read -r _ pss _ < <(stats "$results/$r.pss")
	printf '%-8s %5d %10.1f %10.1f %10.1f %8d %12.0f %12.0f\n' "$r" "$n" "$mean" "$min" "$med" \
		"$(wc -l <"$results/$r.shims")" "$rss" "$pss"
	eval "mean_$r=$mean rss_$r=$rss"
done
if [ -n "${mean_airlock:-}" ] && [ -n "${mean_runc:-}" ]; then
	awk -v la="$mean_airlock" -v lr="$mean_runc" -v ra="$rss_airlock" -v rr="$rss_runc" 'BEGIN {
		printf "airlock/runc: start latency %.2fx (target <= 0.70x: %s), shim RSS %.3fx (target <= 0.125x: %s)\n",
			la / lr, (la / lr <= 0.7) ? "met" : "NOT met", ra / rr, (ra / rr <= 0.125) ? "met" : "NOT met" }'
fi
