#!/bin/bash
# shim.sh: the same container workload through containerd with
# io.containerd.airlock.v2 and io.containerd.runc.v2, side by side:
# start latency of a pod (one container = one shim, `ctr run -d` until the
# task runs) and the shim's memory per pod (RSS and PSS of the shim process).
#
#   hack/bench/shim.sh [--pods N] [--runtimes "airlock runc"]
#
# Each runtime gets its own private containerd 1.6 (integration/shim/helpers.bash:
# own root, state, socket; our busybox image imported offline). N pods
# (default 10) are started one after another, each running `sleep`; the
# latency of each start is measured, then the RSS/PSS of every shim serving
# them is read while all N run. Targets (issue 5): airlock's shim RSS <= 1/8
# of runc's; start latency <= 0.7x runc's.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pods=10
runtimes="airlock runc"
usage() { sed -n '2,15s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--pods) pods=${2:?--pods needs a number}; shift 2 ;;
	--runtimes) runtimes=${2:?}; shift 2 ;;
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
