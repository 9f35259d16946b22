#!/usr/bin/env bats
# Load: LOAD_N (default 100) containers started concurrently through the CLI
# (`run -d`, all at once in the background), all running at the same time;
# then all killed and deleted. Every start succeeds, and nothing leaks: no
# state, mounts, cgroups or container processes. A trivial command's latency
# during the load is printed (not asserted: this is no timing test).
# hack/bench/load.sh measures the throughput.

load helpers

@test "load: ${LOAD_N:-100} containers started concurrently all run, and leave nothing" {
	local n=${LOAD_N:-100} i pids=() failed=
	set_args sleep 600
	# Probe: the latency of a trivial command while the load runs.
	(
		while :; do
			t0=${EPOCHREALTIME/./}
			/bin/true
			echo $((${EPOCHREALTIME/./} - t0))
			sleep 0.1
		done
	) >"$WORK/latency" 2>/dev/null &
	local probe=$!
	for ((i = 0; i < n; i++)); do
		al run -d --bundle "$BUNDLE" "$ID-$i" </dev/null >"$WORK/out.$i" 2>&1 &
		pids[i]=$!
	done
	for ((i = 0; i < n; i++)); do
		if ! wait "${pids[i]}"; then
			failed="$failed $i"
		fi
	done
	kill "$probe" 2>/dev/null || true
	wait "$probe" 2>/dev/null || true
	for i in $failed; do
		echo "# run -d $ID-$i failed: $(cat "$WORK/out.$i")" >&2
	done
	[ -z "$failed" ] || fail "$(echo $failed | wc -w) of $n starts failed"

	local running
	running=$(al list -f json | jq '[.[] | select(.status == "running")] | length')
	[ "$running" -eq "$n" ] || fail "$running of $n running: $(al list)"
	local cpids p alive=0
	cpids=$(al list -f json | jq -r '.[].pid')
	for p in $cpids; do
		kill -0 "$p" 2>/dev/null && alive=$((alive + 1))
	done
	[ "$alive" -eq "$n" ] || fail "$alive of $n container inits alive"
	sort -n "$WORK/latency" | awk '{ v[NR] = $1 } END {
		if (NR) printf "# /bin/true during the load: %d samples, median %d us, max %d us\n", NR, v[int((NR + 1) / 2)], v[NR] }' >&3

	# Kill and delete all of them, concurrently too.
	for ((i = 0; i < n; i++)); do
		al delete --force "$ID-$i" >"$WORK/del.$i" 2>&1 &
		pids[i]=$!
	done
	failed=
	for ((i = 0; i < n; i++)); do
		wait "${pids[i]}" || failed="$failed $i"
	done
	for i in $failed; do
		echo "# delete --force $ID-$i failed: $(cat "$WORK/del.$i")" >&2
	done
	[ -z "$failed" ] || fail "$(echo $failed | wc -w) of $n deletes failed"

	[ -z "$(al list -q)" ] || fail "containers left: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ] || fail "state dirs left: $(ls -A "$ROOT")"
	! grep -F "$BUNDLE" /proc/self/mountinfo || fail "mounts left"
	# The killed inits go once their reaper (not us: `run -d` exited) reaps
	# them: wait for that, bounded.
	local end=$((SECONDS + 20))
	while :; do
		alive=
		for p in $cpids; do
			kill -0 "$p" 2>/dev/null && alive="$alive $p"
		done
		[ -z "$alive" ] || [ "$SECONDS" -ge "$end" ] && break
		sleep 0.1
	done
	[ -z "$alive" ] || fail "container processes left:$alive ($(for p in $alive; do
		awk '{ printf "%s:%s ", $1, $3 }' /proc/$p/stat 2>/dev/null; done))"
	if is_airlock; then
		local cg
		cg=$(find /sys/fs/cgroup/unified -name "$ID-*" 2>/dev/null)
		[ -z "$cg" ] || fail "cgroups left: $cg"
	fi
}
