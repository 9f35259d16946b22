#!/bin/bash
# kill_after_start.sh [N]: issue 12 "kill TERM then delete finds the container
# still running". N times: create, start, kill TERM at once, then wait up to
# 5 s for the container to stop. The program traps TERM and exits; a TERM that
# reaches the init before it runs the program (pid 1 of its pid namespace
# ignores a signal it has no handler for) is lost, and the container keeps
# running. Prints how many runs found it still running, and how many times
# the init was not yet the program when `start` returned, and how many kills
# came before the program itself had set its TERM handler (SigCgt in
# /proc/PID/status: that window is the program's, no runtime can close it).
set -euo pipefail
n=${1:-50}
top=$(cd "$(dirname "$0")/../.." && pwd)
AIRLOCK=${AIRLOCK:-$top/build/airlock}
work=$(mktemp -d /tmp/kill_after_start.XXXXXX)
root=$work/root
cleanup() {
	local id
	for id in $("$AIRLOCK" --root "$root" list -q 2>/dev/null); do
		"$AIRLOCK" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
AIRLOCK=$AIRLOCK "$top/hack/mkbundle.sh" "$work/bundle" \
	sh -c 'trap "exit 0" TERM; sleep 1000 & wait' >/dev/null
still=0 early=0 nohandler=0
for i in $(seq 1 "$n"); do
	id=kas$$-$i
	"$AIRLOCK" --root "$root" create --bundle "$work/bundle" "$id" </dev/null >/dev/null 2>&1
	pid=$("$AIRLOCK" --root "$root" state "$id" | jq -r .pid)
	"$AIRLOCK" --root "$root" start "$id"
	# bash builtins only between start and kill: no fork to widen the gap.
	comm='' cgt=0
	read -r comm <"/proc/$pid/comm" || true
	while read -r k v; do
		[ "$k" = SigCgt: ] && cgt=$v
	done <"/proc/$pid/status"
	[ "$comm" = sh ] || early=$((early + 1))
	(( (0x$cgt >> 14) & 1 )) || nohandler=$((nohandler + 1))
	"$AIRLOCK" --root "$root" kill "$id" TERM
	stopped=no
	for _ in $(seq 1 50); do
		if [ "$("$AIRLOCK" --root "$root" state "$id" | jq -r .status)" = stopped ]; then
			stopped=yes
			break
		fi
		sleep 0.1
	done
	[ $stopped = yes ] || still=$((still + 1))
	"$AIRLOCK" --root "$root" delete --force "$id" >/dev/null
done
echo "runs: $n, still running 5 s after kill TERM: $still, init not yet the program when start returned: $early, TERM sent before the program's handler was set: $nohandler"
