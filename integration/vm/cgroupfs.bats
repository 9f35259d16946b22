#!/usr/bin/env bats
# The cgroupfs driver for real, inside the test VM: systemd PID 1, pure
# cgroup v2. Every container gets an absolute cgroupsPath under a top-level
# cgroup of the tests' own (/airlock-test): the test command runs in a
# systemd service without delegation, so it must not nest under itself.

load vm_helpers

setup() {
	require_vm
	al_setup
	CG_PARENT=/airlock-test/$ID
	CG=$CG_PARENT/ctr
	CGDIR=$CG_ROOT$CG
	update_config --arg p "$CG" '.linux.cgroupsPath = $p'
}

teardown() {
	al_teardown
	local d
	for d in "$CGDIR" "$CG_ROOT$CG_PARENT"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
	rmdir "$CG_ROOT/airlock-test" 2>/dev/null || true
}

@test "vm: systemd is PID 1 on a single cgroup2 hierarchy" {
	[ "$(cat /proc/1/comm)" = systemd ]
	run grep -c ' cgroup ' /proc/self/mounts
	[ "$output" = 0 ]
	for c in cpu cpuset io memory pids hugetlb; do
		grep -qw "$c" "$CG_ROOT/cgroup.controllers" || fail "controller $c missing"
	done
}

@test "cgroupfs: the container runs in its cgroupsPath" {
	set_args sh -c 'cat /proc/self/cgroup'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	# The container has its own cgroup namespace or sees the host path.
	case "$output" in
	"0::/"|"0::$CG") ;;
	*) fail "unexpected /proc/self/cgroup: $output" ;;
	esac
}

@test "cgroupfs: every resource reaches its file" {
	update_config '.linux.resources += {
		"memory": { "limit": 67108864, "reservation": 33554432, "swap": 134217728 },
		"cpu": { "shares": 1024, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0" },
		"pids": { "limit": 100 },
		"blockIO": { "weight": 500 },
		"hugepageLimits": [ { "pageSize": "2MB", "limit": 4194304 } ],
		"unified": { "memory.high": "50331648" }
	}'
	set_args sleep 300
	create_container
	[ "$?" -eq 0 ] || fail "create: $(cat "$WORK/stderr")"
	[ -d "$CGDIR" ] || fail "no cgroup $CGDIR"
	[ "$(cat "$CGDIR/memory.max")" = 67108864 ]
	[ "$(cat "$CGDIR/memory.low")" = 33554432 ]
	[ "$(cat "$CGDIR/memory.high")" = 50331648 ]
	# OCI swap is memory+swap; cgroup v2 swap.max is swap alone.
	[ "$(cat "$CGDIR/memory.swap.max")" = 67108864 ]
	# shares 1024 -> 100 (the default weight: see al_cgroup_cpu_weight)
	[ "$(cat "$CGDIR/cpu.weight")" = 100 ]
	[ "$(cat "$CGDIR/cpu.max")" = "50000 100000" ]
	[ "$(cat "$CGDIR/cpuset.cpus")" = 0 ]
	[ "$(cat "$CGDIR/cpuset.mems")" = 0 ]
	[ "$(cat "$CGDIR/pids.max")" = 100 ]
	[ "$(cat "$CGDIR/hugetlb.2MB.max")" = 4194304 ]
	# blkio weight 500 -> io.weight 1 + ((500 - 10) * 9999) / 990 = 4950,
	# or as it is on io.bfq.weight under BFQ.
	if [ -f "$CGDIR/io.bfq.weight" ]; then
		grep -qx 'default 500' "$CGDIR/io.bfq.weight"
	else
		grep -qx 'default 4950' "$CGDIR/io.weight"
	fi
	# The init itself is in the cgroup.
	pid=$(state_field .pid)
	grep -qx "$pid" "$CGDIR/cgroup.procs"
}

@test "cgroupfs: shares at the bounds map to cpu.weight 1 and 10000" {
	update_config '.linux.resources.cpu = { "shares": 2 }'
	set_args sleep 300
	create_container
	[ "$(cat "$CGDIR/cpu.weight")" = 1 ]
	al delete --force "$ID"
	update_config '.linux.resources.cpu = { "shares": 262144 }'
	create_container
	[ "$(cat "$CGDIR/cpu.weight")" = 10000 ]
}

@test "cgroupfs: a memory hog is OOM-killed (exit 137, oom_kill counted)" {
	update_config '.linux.resources.memory = { "limit": 33554432, "swap": 33554432 }'
	set_args sh -c 'x=$(head -c 104857600 /dev/zero | tr "\0" a); echo survived ${#x}'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 137
	refute_output_contains survived
	# memory.events is hierarchical: the parent keeps the count after the
	# container's cgroup is gone.
	[ "$(cg_key "$CG_ROOT$CG_PARENT/memory.events" oom_kill)" -ge 1 ]
	[ ! -d "$CGDIR" ]
}

@test "cgroupfs: memory.events of a stopped container shows the OOM kill before delete" {
	update_config '.linux.resources.memory = { "limit": 33554432, "swap": 33554432 }'
	set_args sh -c 'x=$(head -c 104857600 /dev/zero | tr "\0" a); echo survived ${#x}'
	create_container
	al start "$ID"
	wait_status "$ID" stopped
	[ "$(cg_key "$CGDIR/memory.events" oom_kill)" -ge 1 ]
	[ "$(cat "$CGDIR/memory.max")" = 33554432 ]
	al delete "$ID"
	[ ! -d "$CGDIR" ]
}

@test "cgroupfs: a fork bomb stops at pids.max" {
	update_config '.linux.resources.pids = { "limit": 20 }'
	set_args sh -c 'for i in $(seq 50); do sleep 60 & done; echo spawned all 50'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	refute_output_contains "spawned all"
}

@test "cgroupfs: pids.max holds the number of tasks at the limit" {
	update_config '.linux.resources.pids = { "limit": 20 }'
	make_fifos ready
	# The failing fork ends the subshell; the init then needs no fork.
	set_args sh -c '(for i in $(seq 50); do sleep 60 & done) 2>/dev/null; echo >/ready; exec sleep 60'
	create_container
	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	n=$(cat "$CGDIR/pids.current")
	[ "$n" -le 20 ] || fail "pids.current $n > 20"
	[ "$n" -ge 18 ] || fail "pids.current $n: the sleeps did not fill up to the limit"
	[ "$(cg_key "$CGDIR/pids.events" max)" -ge 1 ]
}

@test "cgroupfs: a paused container does not run; resume continues it" {
	has_command pause || skip "airlock pause/resume not available yet (airlock pause --help fails)"
	mkdir -p "$WORK/shared"
	update_config --arg s "$WORK/shared" '.mounts += [ { "destination": "/w", "type": "bind", "source": $s, "options": ["rbind", "rw"] } ]'
	set_args sh -c 'i=0; while true; do i=$((i+1)); echo $i >/w/n; sleep 0.05; done'
	create_container
	al start "$ID"
	for i in $(seq 600); do [ -s "$WORK/shared/n" ] && break; sleep 0.1; done
	[ -s "$WORK/shared/n" ] || fail "the container never counted"

	al pause "$ID"
	[ "$(state_field .status)" = paused ]
	[ "$(cat "$CGDIR/cgroup.freeze")" = 1 ]
	[ "$(cg_key "$CGDIR/cgroup.events" frozen)" = 1 ]
	a=$(cat "$WORK/shared/n")
	sleep 1
	b=$(cat "$WORK/shared/n")
	[ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"
	# Tasks of a frozen cgroup stay in the cgroup, stopped.
	pid=$(state_field .pid)
	grep -qx "$pid" "$CGDIR/cgroup.procs"

	al resume "$ID"
	[ "$(state_field .status)" = running ]
	[ "$(cg_key "$CGDIR/cgroup.events" frozen)" = 0 ]
	for i in $(seq 100); do
		c=$(cat "$WORK/shared/n")
		[ "$c" != "$b" ] && break
		sleep 0.1
	done
	[ "$c" != "$b" ] || fail "counter did not move after resume"
	al kill "$ID" KILL
	wait_status "$ID" stopped
	al delete "$ID"
	[ ! -d "$CGDIR" ]
}

@test "cgroupfs: a paused container can be deleted with --force" {
	has_command pause || skip "airlock pause/resume not available yet (airlock pause --help fails)"
	set_args sleep 300
	create_container
	al start "$ID"
	al pause "$ID"
	[ "$(state_field .status)" = paused ]
	al delete --force "$ID"
	[ ! -d "$CGDIR" ]
}

@test "cgroupfs: update changes the limits of a running container" {
	has_command update || skip "airlock update not available yet (airlock update --help fails)"
	update_config '.linux.resources.pids = { "limit": 100 } | .linux.resources.memory = { "limit": 67108864 }'
	set_args sleep 300
	create_container
	al start "$ID"
	[ "$(cat "$CGDIR/pids.max")" = 100 ]
	echo '{ "pids": { "limit": 42 }, "memory": { "limit": 100663296 } }' >"$WORK/res.json"
	run al update --resources "$WORK/res.json" "$ID"
	assert_success
	[ "$(cat "$CGDIR/pids.max")" = 42 ]
	[ "$(cat "$CGDIR/memory.max")" = 100663296 ]
}

@test "cgroupfs: delete removes the cgroup" {
	set_args sleep 300
	create_container
	[ -d "$CGDIR" ]
	al start "$ID"
	al kill "$ID" KILL
	wait_status "$ID" stopped
	al delete "$ID"
	[ ! -d "$CGDIR" ]
	# The parent the runtime created stays; it is empty.
	[ ! -s "$CG_ROOT$CG_PARENT/cgroup.procs" ]
}

@test "cgroupfs: delete --force of a running container kills it and removes the cgroup" {
	set_args sh -c 'sleep 300 & sleep 300'
	create_container
	al start "$ID"
	pid=$(state_field .pid)
	al delete --force "$ID"
	[ ! -d "$CGDIR" ]
	! kill -0 "$pid" 2>/dev/null
}

@test "cgroupfs: a missing controller value is an error naming the file" {
	# cpuset 99 does not exist on a 2-vCPU guest.
	update_config '.linux.resources.cpu = { "cpus": "99" }'
	set_args true
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_airlock_output_contains cpuset.cpus
	[ ! -d "$CGDIR" ]
}

@test "cgroupfs: events reports the OOM kill; events --stats has real memory and pids sections" {
	update_config '.linux.resources.memory = { "limit": 33554432, "swap": 33554432 } | .linux.resources.pids = { "limit": 50 }'
	make_fifos go
	set_args sh -c 'read x < /go; x=$(head -c 104857600 /dev/zero | tr "\0" a); echo survived ${#x}'
	create_container
	al start "$ID"
	run al events --stats "$ID"
	assert_success
	echo "$output" | jq -e '.type == "stats" and .data.memory.usage.limit == 33554432 and .data.pids.limit == 50' >/dev/null \
		|| fail "stats: $output"
	# Watch events while the hog runs: the OOM kill is reported, then events
	# ends with the container.
	al events --interval 1s "$ID" >"$WORK/events" 2>&1 &
	local ev=$!
	echo go >"$BUNDLE/rootfs/go"
	local rc=0
	timeout 60 tail --pid="$ev" -f /dev/null || rc=$?
	[ "$rc" -eq 0 ] || { kill "$ev"; fail "events did not end with the container"; }
	grep -q '"type":"oom"' "$WORK/events" || fail "no oom event: $(cat "$WORK/events")"
}
