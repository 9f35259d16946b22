#!/usr/bin/env bats
# pause / resume / ps / update / events: commands acting through the cgroup.
# On the hybrid test host the unified tree has no controllers except hugetlb:
# resource updates fail naming the controller, and statistics only have the
# sections whose files exist without controllers (cpu.stat).

load helpers

# A detached container running a counter loop that rewrites /count (the
# rootfs is made writable) as fast as it can, plus a `sleep` child.
# Waits until the loop has written once.
start_counter() {
	update_config '.root.readonly = false | .process.terminal = false'
	make_fifos ready
	set_args sh -c 'sleep 1000 & echo $! > /child; i=0; echo ready > /ready; while true; do i=$((i+1)); echo $i > /count; done'
	al run -d --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/stdout" 2>"$WORK/stderr"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	COUNT=$BUNDLE/rootfs/count
	# The first write may come just after "ready".
	wait_count_change ""
}

# Bounded poll (~10 s) until /count differs from $1 (the loop runs at full
# speed when not frozen, so this returns at once on a live container).
wait_count_change() {
	local before=$1 i now
	for i in $(seq 1 200); do
		now=$(cat "$COUNT" 2>/dev/null || true)
		if [ -n "$now" ] && [ "$now" != "$before" ]; then
			return 0
		fi
		sleep 0.05
	done
	fail "counter stuck at <<$before>>"
}

@test "pause freezes the container and resume thaws it" {
	start_counter
	al pause "$ID"
	[ "$(state_field .status)" = paused ]
	# `pause` returns only once cgroup.events reports frozen: from then on
	# the counter must not move. Two reads over a bounded window (the
	# negative can only be observed over time; 0.5 s lets the unfrozen loop
	# advance thousands of times).
	local a b
	a=$(cat "$COUNT")
	sleep 0.5
	b=$(cat "$COUNT")
	[ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"

	al resume "$ID"
	[ "$(state_field .status)" = running ]
	wait_count_change "$b"
}

@test "pause of a paused container fails, resume of a running one fails" {
	start_counter
	al pause "$ID"
	run al pause "$ID"
	assert_failure
	assert_airlock_output_contains "already paused"
	al resume "$ID"
	run al resume "$ID"
	assert_failure
	assert_airlock_output_contains "not paused"
}

@test "pause of a stopped container fails" {
	make_fifos ready
	set_args sh -c 'echo ready > /ready; exit 0'
	create_container
	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	wait_status "$ID" stopped
	run al pause "$ID"
	assert_failure
	assert_airlock_output_contains "is not running"
	run al resume "$ID"
	assert_failure
}

@test "pause of a missing container fails naming it" {
	run al pause nosuchcontainer
	assert_failure
	assert_airlock_output_contains nosuchcontainer
}

@test "ps --format json lists the init and its child" {
	start_counter
	local init child
	init=$(state_field .pid)
	# /child holds the container-namespace pid; find the host pid of the
	# init's `sleep` child instead.
	child=$(ps -o pid= --ppid "$init" | tr -d ' ' | head -1)
	[ -n "$child" ] || fail "no child of $init"
	run al ps --format json "$ID"
	assert_success
	echo "$output" | jq -e --argjson p "$init" 'index($p) != null' >/dev/null || fail "init $init not in $output"
	echo "$output" | jq -e --argjson p "$child" 'index($p) != null' >/dev/null || fail "child $child not in $output"
	[ "$(echo "$output" | jq length)" -ge 2 ]
}

@test "ps prints ps's header and the container's lines" {
	start_counter
	local init
	init=$(state_field .pid)
	run al ps "$ID"
	assert_success
	local header=${output%%$'\n'*}
	case "$header" in
	*PID*CMD*) ;;
	*) fail "no ps header: $header" ;;
	esac
	echo "$output" | awk -v p="$init" 'NR > 1 && $2 == p { found = 1 } END { exit !found }' ||
		fail "no line for init $init in: $output"
	# Only the container's processes: init, its sleep, maybe a short-lived
	# child of the loop; never the host's pid 1.
	echo "$output" | awk 'NR > 1 && $2 == 1 { exit 1 }' || fail "host pid 1 listed: $output"
}

@test "ps passes its extra arguments to ps" {
	start_counter
	local init
	init=$(state_field .pid)
	run al ps "$ID" -o pid,comm
	assert_success
	[ "$(echo "${output%%$'\n'*}" | awk '{print $1}')" = PID ]
	echo "$output" | awk -v p="$init" 'NR > 1 && $1 == p { found = 1 } END { exit !found }' ||
		fail "no line for init $init in: $output"
}

@test "events --stats prints one stats line" {
	start_counter
	run al events --stats "$ID"
	assert_success
	[ "$(echo "$output" | wc -l)" -eq 1 ] || fail "more than one line: $output"
	[ "$(echo "$output" | jq -r .type)" = stats ]
	[ "$(echo "$output" | jq -r .id)" = "$ID" ]
	# cpu.stat exists without the cpu controller; the busy loop used CPU.
	echo "$output" | jq -e '.data.cpu.usage.total > 0' >/dev/null || fail "no cpu usage: $output"
	echo "$output" | jq -e '.data.cpu.usage | has("user") and has("kernel")' >/dev/null || fail "$output"
	# pids: only when the unified tree offers the controller.
	is_airlock || return 0
	local cg
	cg=$(awk -F: '$1 == "0" { print $3 }' /proc/"$(state_field .pid)"/cgroup)
	local mnt
	mnt=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	if [ -e "$mnt$cg/pids.current" ]; then
		echo "$output" | jq -e '.data.pids.current >= 2' >/dev/null || fail "no pids: $output"
	else
		echo "$output" | jq -e '.data | has("pids") | not' >/dev/null || fail "pids without pids.current: $output"
	fi
	if [ ! -e "$mnt$cg/memory.current" ]; then
		echo "$output" | jq -e '.data | has("memory") | not' >/dev/null || fail "memory without memory.current: $output"
	fi
}

@test "events prints stats every interval and ends when the container stops" {
	is_airlock || skip "runc's events keeps running after the container stops"
	start_counter
	timeout 30 "$AIRLOCK" --root "$ROOT" events --interval 100ms "$ID" >"$WORK/events" 2>"$WORK/events.err" &
	local ev=$!
	# Bounded poll for two lines, then stop the container: events exits.
	local i
	for i in $(seq 1 200); do
		[ "$(wc -l <"$WORK/events")" -ge 2 ] && break
		sleep 0.05
	done
	[ "$(wc -l <"$WORK/events")" -ge 2 ] || fail "events printed: $(cat "$WORK/events" "$WORK/events.err")"
	al kill "$ID" KILL
	local rc=0
	# events watches the init's pidfd and exits by itself (timeout: 124).
	wait "$ev" || rc=$?
	[ "$rc" -eq 0 ] || fail "events exit $rc: $(cat "$WORK/events.err")"
	jq -e -s 'all(.[]; .type == "stats")' "$WORK/events" >/dev/null
}

@test "events of a stopped container fails" {
	is_airlock || skip "runc's events waits forever on a stopped container"
	set_args true
	create_container
	al start "$ID"
	wait_status "$ID" stopped
	run al events --stats "$ID"
	assert_failure
	assert_airlock_output_contains "not running"
}

@test "events rejects a bad interval" {
	run al events --interval 5x "$ID"
	assert_failure
}

# True when the container's cgroup cannot get `controller` (not offered by
# the cgroup2 root): the hybrid host of the test suite.
controller_missing() {
	local mnt
	mnt=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	! grep -qw "$1" "$mnt/cgroup.controllers"
}

@test "update --memory fails naming the memory controller when it is missing" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing memory || skip "the memory controller is available here"
	# Without the opt-in (create records it; update honours it).
	unset AIRLOCK_MISSING_CONTROLLERS
	start_counter
	run al update --memory 64m "$ID"
	assert_failure
	assert_output_contains "memory controller"
	[ "$(state_field .status)" = running ]
}

@test "update --pids-limit fails naming the pids controller when it is missing" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing pids || skip "the pids controller is available here"
	# Without the opt-in (create records it; update honours it).
	unset AIRLOCK_MISSING_CONTROLLERS
	start_counter
	run al update --pids-limit 10 "$ID"
	assert_failure
	assert_output_contains "pids controller"
}

@test "update --resources - reads JSON from stdin" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing cpu || skip "the cpu controller is available here"
	# Without the opt-in (create records it; update honours it).
	unset AIRLOCK_MISSING_CONTROLLERS
	start_counter
	run al update --resources - "$ID" <<<'{"cpu": {"shares": 512}}'
	assert_failure
	assert_output_contains "cpu controller"
	run al update --resources - "$ID" <<<'{"cpu": {"shares": "x"}}'
	assert_failure
	assert_output_contains "cpu.shares"
}

@test "update --kernel-memory is refused on cgroup v2" {
	is_airlock || skip "airlock refuses cgroup v1 knobs"
	start_counter
	run al update --kernel-memory 64m "$ID"
	assert_failure
	assert_output_contains "kernel memory"
	run al update --cpu-rt-runtime 1000 "$ID"
	assert_failure
	assert_output_contains "realtime"
}

@test "update rejects bad sizes and a stopped container" {
	is_airlock || skip "airlock's messages"
	run al update --memory 12q "$ID"
	assert_failure
	assert_output_contains "--memory"
	set_args true
	create_container
	al start "$ID"
	wait_status "$ID" stopped
	run al update --memory 64m "$ID"
	assert_failure
}

# Issue 12, "defaults are not limits": a value equal to the kernel's default
# asks for nothing, so it needs no controller and no opt-in.
@test "a config with cpu.shares 1024 (the kernel's default) runs without the cpu controller" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing cpu || skip "the cpu controller is available here"
	unset AIRLOCK_MISSING_CONTROLLERS
	update_config '.linux.resources.cpu = {"shares": 1024}'
	set_args true
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
}

@test "unlimited quota, default period, memory -1 and pids -1 need no controller" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing cpu || skip "the cpu controller is available here"
	controller_missing memory || skip "the memory controller is available here"
	controller_missing pids || skip "the pids controller is available here"
	unset AIRLOCK_MISSING_CONTROLLERS
	update_config '.linux.resources.cpu = {"shares": 1024, "quota": -1, "period": 50000}
		| .linux.resources.memory = {"limit": -1, "reservation": -1, "swap": -1}
		| .linux.resources.pids = {"limit": -1}'
	set_args true
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	update_config '.linux.resources.cpu = {"period": 100000} | del(.linux.resources.memory)'
	run al run --bundle "$BUNDLE" "$ID-2" </dev/null
	assert_success
}

@test "a real limit without its controller keeps its error: cpu.shares 512, quota, period, pids 100" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing cpu || skip "the cpu controller is available here"
	controller_missing pids || skip "the pids controller is available here"
	unset AIRLOCK_MISSING_CONTROLLERS
	set_args true
	update_config '.linux.resources.cpu = {"shares": 512}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "linux.resources.cpu.shares: the cpu controller is not available on"
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "linux.resources.cpu.quota: the cpu controller is not available on"
	update_config '.linux.resources.cpu = {"period": 50000}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "linux.resources.cpu.period: the cpu controller is not available on"
	update_config 'del(.linux.resources.cpu) | .linux.resources.pids = {"limit": 100}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "linux.resources.pids.limit: the pids controller is not available on"
	# ... and the opt-in still runs it, naming what is not enforced.
	AIRLOCK_MISSING_CONTROLLERS=warn run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output_contains "not enforced"
}

@test "update --cpu-shares 1024 (the default) succeeds without the cpu controller" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing cpu || skip "the cpu controller is available here"
	unset AIRLOCK_MISSING_CONTROLLERS
	start_counter
	run al update --cpu-shares 1024 "$ID"
	assert_success
	run al update --cpu-quota -1 --cpu-period 100000 --memory -1 --pids-limit -1 "$ID"
	assert_success
	run al update --cpu-shares 512 "$ID"
	assert_failure
	assert_output_contains "linux.resources.cpu.shares: the cpu controller is not available"
}

# Issue 14: under CRI-O only conmon's environment (monitor_env) reaches
# create and conmon's exec; start, state, kill, update, delete and the
# streaming exec run with CRI-O's own. The opt-in made at create is kept in
# the container's state and honoured by every later command. CRI-O puts
# cpu.shares 2 on every pod's infra container: with the opt-in it is dropped
# with one warning naming the container and the field.
@test "the opt-in given to create holds for start, exec and update without the environment" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing cpu || skip "the cpu controller is available here"
	unset AIRLOCK_MISSING_CONTROLLERS
	update_config '.root.readonly = false | .process.terminal = false | .linux.resources.cpu = {"shares": 2}'
	make_fifos ready
	set_args sh -c 'echo ready > /ready; exec sleep 1000'
	AIRLOCK_MISSING_CONTROLLERS=warn create_container
	run cat "$WORK/stderr"
	assert_output_contains "container \"$ID\": not enforced"
	assert_output_contains "linux.resources.cpu.shares (cpu)"
	[ "$(grep -c 'not enforced' "$WORK/stderr")" -eq 1 ] || fail "more than one warning: $output"
	[ "$(jq -r .missing_controllers "$ROOT/$ID/state.json")" = warn ]
	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	run al exec "$ID" echo exec-ok
	assert_success
	assert_output_contains exec-ok
	run al update --cpu-shares 512 "$ID"
	assert_success
	assert_output_contains "update container \"$ID\": not enforced"
	assert_output_contains "linux.resources.cpu.shares (cpu)"
	# What CRI-O sends: `update --resources -` with the whole object.
	run al update --resources - "$ID" <<<'{"cpu": {"shares": 2, "quota": 20000, "period": 100000}}'
	assert_success
	assert_output_contains "not enforced"
	assert_output_contains "(cpu)"
	[ "$(state_field .status)" = running ]
	al kill --all "$ID" KILL
	wait_status "$ID" stopped
	al delete "$ID"
}

@test "without the opt-in at create, update refuses unless its own environment opts in" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	controller_missing cpu || skip "the cpu controller is available here"
	unset AIRLOCK_MISSING_CONTROLLERS
	update_config '.linux.resources.cpu = {"shares": 2}'
	set_args sleep 1000
	run_create
	assert_failure
	assert_output_contains "linux.resources.cpu.shares: the cpu controller is not available on"
	update_config 'del(.linux.resources.cpu)'
	create_container
	[ "$(jq -r .missing_controllers "$ROOT/$ID/state.json")" = refuse ]
	run al update --cpu-shares 2 "$ID"
	assert_failure
	assert_output_contains "linux.resources.cpu.shares: the cpu controller is not available"
	AIRLOCK_MISSING_CONTROLLERS=warn run al update --cpu-shares 2 "$ID"
	assert_success
	assert_output_contains "not enforced"
	# That update's environment is not recorded.
	run al update --cpu-shares 2 "$ID"
	assert_failure
}
