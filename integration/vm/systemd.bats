#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup) for real, inside the test VM
# (systemd PID 1, pure cgroup v2):
#   hack/vm/run.sh -- bats integration/vm/systemd.bats
# A container is the transient scope airlock-ID.scope in system.slice (or
# what linux.cgroupsPath "slice:prefix:name" names) with Delegate=yes; the
# container's processes live in its delegated sub-cgroup "container", where
# airlock writes what systemd cannot express; delete stops the unit.

load vm_helpers

setup() {
	require_vm
	al_setup
	UNIT=airlock-$ID.scope
	CGDIR=$CG_ROOT/system.slice/$UNIT
}

teardown() {
	al_teardown
	# Never leave a unit behind, even when a check failed.
	local u
	for u in "$UNIT" ${EXTRA_UNIT:-}; do
		systemctl stop "$u" >/dev/null 2>&1 || true
		systemctl reset-failed "$u" >/dev/null 2>&1 || true
	done
}

# `create` with --systemd-cgroup, the container's stdio on files (a pipe would
# keep bats' `run` waiting); sets $status and $output (the runtime's stderr).
sd_create() {
	status=0
	al --systemd-cgroup create --bundle "$BUNDLE" "${1:-$ID}" </dev/null >"$WORK/stdout" 2>"$WORK/stderr" || status=$?
	output=$(cat "$WORK/stderr")
}

# systemctl status exits 4 for a unit systemd does not know.
assert_unit_gone() {
	local rc=0
	systemctl status "$1" >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 4 ] || fail "unit $1 still known to systemd (systemctl status: $rc): $(systemctl status "$1" 2>&1)"
}

assert_unit_active() {
	systemctl status "$1" >/dev/null 2>&1 || fail "unit $1 is not active: $(systemctl status "$1" 2>&1)"
	[ "$(systemctl is-active "$1")" = active ] || fail "unit $1: $(systemctl is-active "$1")"
}

@test "systemd: run puts the container in airlock-ID.scope with its limits; gone after delete" {
	update_config '.linux.resources = { "memory": { "limit": 67108864 }, "pids": { "limit": 99 } }'
	make_fifos ready go
	set_args sh -c 'echo ready > /ready; read x < /go; exit 0'
	al --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1 &
	BG_PID=$!
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null || { cat "$WORK/out" >&2; false; }

	assert_unit_active "$UNIT"
	[ "$(systemctl show -p ControlGroup --value "$UNIT")" = "/system.slice/$UNIT" ]
	[ -d "$CGDIR" ] || fail "no cgroup $CGDIR"
	[ "$(cat "$CGDIR/memory.max")" = 67108864 ]
	[ "$(cat "$CGDIR/pids.max")" = 99 ]
	[ "$(systemctl show -p MemoryMax --value "$UNIT")" = 67108864 ]
	local pid
	pid=$(state_field .pid)
	# The processes live in the scope's delegated sub-cgroup.
	[ "$(cat /proc/"$pid"/cgroup)" = "0::/system.slice/$UNIT/container" ]
	# Delegated: the container may enable controllers below its cgroup.
	grep -qw memory "$CGDIR/cgroup.controllers"

	echo go >"$BUNDLE/rootfs/go"
	wait_bg
	assert_success
	assert_unit_gone "$UNIT"
	[ ! -d "$CGDIR" ] || fail "cgroup $CGDIR left behind"
}

@test "systemd: create/start/delete --force: the scope lives as long as the container" {
	update_config '.linux.resources = { "memory": { "limit": 33554432 }, "cpu": { "shares": 1024 } }'
	set_args sleep 300
	sd_create
	assert_success
	assert_unit_active "$UNIT"
	[ "$(cat "$CGDIR/memory.max")" = 33554432 ]
	[ "$(cat "$CGDIR/cpu.weight")" = 100 ]
	al start "$ID"
	[ "$(state_field .status)" = running ]
	assert_unit_active "$UNIT"

	run al delete --force "$ID"
	assert_success
	assert_unit_gone "$UNIT"
	[ ! -d "$CGDIR" ] || fail "cgroup $CGDIR left behind"
}

@test "systemd: update goes through systemd" {
	update_config '.linux.resources = { "memory": { "limit": 67108864 }, "pids": { "limit": 50 } }'
	set_args sleep 300
	sd_create
	assert_success
	run al update --memory 134217728 --pids-limit 60 "$ID"
	assert_success
	[ "$(cat "$CGDIR/memory.max")" = 134217728 ]
	[ "$(cat "$CGDIR/pids.max")" = 60 ]
	# systemd knows the new values, so a daemon-reload keeps them.
	[ "$(systemctl show -p MemoryMax --value "$UNIT")" = 134217728 ]
	[ "$(systemctl show -p TasksMax --value "$UNIT")" = 60 ]
	systemctl daemon-reload
	[ "$(cat "$CGDIR/memory.max")" = 134217728 ]
	run al delete --force "$ID"
	assert_success
	assert_unit_gone "$UNIT"
}

@test "systemd: linux.cgroupsPath slice:prefix:name and org.systemd.property annotations" {
	EXTRA_UNIT=test-$ID.scope
	update_config --arg p "machine.slice:test:$ID" '.linux.cgroupsPath = $p
		| .annotations["org.systemd.property.TimeoutStopSec"] = "7"
		| .annotations["org.systemd.property.CollectMode"] = "'"'"'inactive-or-failed'"'"'"'
	set_args sleep 300
	sd_create
	assert_success
	assert_unit_active "$EXTRA_UNIT"
	[ "$(systemctl show -p ControlGroup --value "$EXTRA_UNIT")" = "/machine.slice/$EXTRA_UNIT" ]
	[ "$(systemctl show -p TimeoutStopUSec --value "$EXTRA_UNIT")" = 7s ]
	[ "$(systemctl show -p CollectMode --value "$EXTRA_UNIT")" = inactive-or-failed ]
	local pid
	pid=$(state_field .pid)
	[ "$(cat /proc/"$pid"/cgroup)" = "0::/machine.slice/$EXTRA_UNIT/container" ]
	run al delete --force "$ID"
	assert_success
	assert_unit_gone "$EXTRA_UNIT"
	[ ! -d "$CG_ROOT/machine.slice/$EXTRA_UNIT" ]
}

@test "systemd: a container that exits on its own leaves no unit after delete" {
	set_args true
	sd_create
	assert_success
	al start "$ID"
	wait_status "$ID" stopped
	run al delete "$ID"
	assert_success
	assert_unit_gone "$UNIT"
	[ ! -d "$CGDIR" ]
}

@test "systemd: a cgroupsPath that is not slice:prefix:name is refused, naming it" {
	update_config '.linux.cgroupsPath = "not-a-systemd-path"'
	set_args true
	run al --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains 'linux.cgroupsPath'
	assert_output_contains 'slice:prefix:name'
}

@test "systemd: two containers naming the same unit: the second fails, naming the unit" {
	update_config --arg p "system.slice:airlock:$ID" '.linux.cgroupsPath = $p'
	set_args sleep 300
	sd_create
	assert_success
	sd_create "${ID}b"
	assert_failure
	assert_output_contains "$UNIT"
	# The first one is untouched.
	assert_unit_active "$UNIT"
	run al delete --force "$ID"
	assert_success
	assert_unit_gone "$UNIT"
}

@test "systemd: every resource reaches the scope's cgroup and the kernel enforces memory and pids" {
	update_config '.linux.resources = {
		"memory": { "limit": 33554432, "reservation": 16777216, "swap": 33554432 },
		"cpu": { "shares": 2048, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0" },
		"pids": { "limit": 20 },
		"blockIO": { "weight": 500 } }'
	make_fifos ready go
	cat >"$BUNDLE/rootfs/enforce.sh" <<-'EOS'
		echo ready > /ready; read x < /go
		i=0; pids=
		while [ $i -lt 40 ]; do sleep 30 & pids="$pids $!"; i=$((i+1)); done
		kill $pids 2>/dev/null; wait
		sh -c 'x=$(head -c 104857600 /dev/zero | tr "\0" a); echo survived ${#x}'
		echo "hog exit $?"
	EOS
	set_args sh /enforce.sh
	sd_create
	[ "$status" -eq 0 ] || fail "create: $output"
	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	[ "$(cat "$CGDIR/memory.max")" = 33554432 ]
	[ "$(cat "$CGDIR/memory.low")" = 16777216 ]
	[ "$(cat "$CGDIR/memory.swap.max")" = 0 ]
	# shares 2048 -> 174 (al_cgroup_cpu_weight)
	[ "$(cat "$CGDIR/cpu.weight")" = 174 ]
	[ "$(cat "$CGDIR/cpu.max")" = "50000 100000" ]
	[ "$(cat "$CGDIR/cpuset.cpus")" = 0 ]
	[ "$(cat "$CGDIR/pids.max")" = 20 ]
	# blkio weight 500 -> IOWeight 1 + ((500 - 10) * 9999) / 990 = 4950
	grep -qx 'default 4950' "$CGDIR/io.weight" || fail "io.weight: $(cat "$CGDIR/io.weight" 2>&1)"
	echo go >"$BUNDLE/rootfs/go"
	wait_status "$ID" stopped
	# The scope is gone once empty: the enforcement shows in what the
	# container saw: forks refused at pids.max, the hog OOM-killed.
	grep -q "can't fork" "$WORK/stderr" || fail "pids.max never hit: $(cat "$WORK/stderr")"
	# The hog never gets its 100 MiB (systemd's OOMPolicy may stop the whole
	# scope, so the script itself may not live to report the kill).
	! grep -q survived "$WORK/stdout" || fail "the hog survived: $(cat "$WORK/stdout")"
	al delete "$ID"
	assert_unit_gone "$UNIT"
}
