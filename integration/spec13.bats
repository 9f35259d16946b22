#!/usr/bin/env bats
# runtime-spec 1.3: a config written as ociVersion 1.3.0 runs, and each 1.3
# (and 1.2.1) field is applied or refused with a clear error: netDevices,
# memoryPolicy, intelRdt, execCPUAffinity, pids limit 0.

load helpers

# The veth pair a test made (this host has no dummy driver): the peer is
# removed in teardown, which removes both ends.
VETH_PEER=

teardown() {
	if [ -n "$VETH_PEER" ]; then
		ip link del "$VETH_PEER" 2>/dev/null || true
	fi
	al_teardown
}

# A veth pair $1/$2 on the host, $1 with address $3 (as ip-addr writes it).
make_veth() {
	echo "# netDevices: a veth pair $1/$2 made by the test (no dummy driver on this host)" >&3
	ip link add "$1" type veth peer name "$2"
	VETH_PEER=$2
	if [ -n "${3:-}" ]; then
		ip addr add "$3" dev "$1"
	fi
}

@test "spec13: a config written as ociVersion 1.3.0 runs; 2.0.0 is refused naming ociVersion and the range" {
	update_config '.ociVersion = "1.3.0"'
	run_sh 'echo ok'
	assert_success
	assert_output ok
	update_config '.ociVersion = "1.3.1-rc.1"'
	run_sh 'echo ok'
	assert_success
	update_config '.ociVersion = "2.0.0"'
	run_sh 'echo ok'
	assert_failure
	assert_output_contains 'ociVersion: unsupported version "2.0.0" (airlock supports 1.0.0 to 1.3.x)'
	update_config '.ociVersion = "1.4.0"'
	run_sh 'echo ok'
	assert_failure
	assert_output_contains "ociVersion"
}

@test "spec13: features reports 1.3.0 with netDevices, memoryPolicy and intelRdt" {
	run al features
	assert_success
	echo "$output" | jq -e '.ociVersionMax == "1.3.0"' >/dev/null || fail "$output"
	echo "$output" | jq -e '.linux.netDevices.enabled == true' >/dev/null || fail "$output"
	echo "$output" | jq -e '.linux.memoryPolicy.modes | index("MPOL_BIND") != null' >/dev/null || fail "$output"
	echo "$output" | jq -e '.linux.memoryPolicy.flags | index("MPOL_F_STATIC_NODES") != null' >/dev/null || fail "$output"
	if ! grep -qw resctrl /proc/self/mountinfo; then
		echo "$output" | jq -e '.linux.intelRdt.enabled == false and .linux.intelRdt.schemata == false' >/dev/null \
			|| fail "$output"
	fi
}

@test "spec13: netDevices moves a veth end in, renamed, up, with its address; delete moves it back" {
	local host=al13h$BATS_TEST_NUMBER peer=al13p$BATS_TEST_NUMBER
	make_veth "$host" "$peer" 10.213.13.1/24
	update_config --arg h "$host" '.ociVersion = "1.3.0" | .linux.netDevices = {($h): {"name": "ctr0"}}'
	set_args sh -c 'ip -o link show ctr0; ip -o -4 addr show dev ctr0'
	al create --bundle "$BUNDLE" "$ID" </dev/null

	# Moved: gone from the host while the container lives.
	run ip link show "$host"
	assert_failure
	# delete moves it back under its host name before the namespace goes
	# (a veth end would otherwise vanish with it, and its peer too).
	al delete --force "$ID"
	run ip link show "$host"
	assert_success
	run ip link show ctr0
	assert_failure
}

@test "spec13: netDevices output inside: the name, UP and 10.213.13.1/24" {
	local host=al13h$BATS_TEST_NUMBER peer=al13p$BATS_TEST_NUMBER
	make_veth "$host" "$peer" 10.213.13.1/24
	update_config --arg h "$host" '.ociVersion = "1.3.0" | .linux.netDevices = {($h): {"name": "ctr0"}}'
	run_sh 'ip -o link show ctr0; ip -o -4 addr show dev ctr0'
	assert_success
	assert_output_contains "ctr0@"
	assert_output_contains ",UP"
	assert_output_contains "inet 10.213.13.1/24"
	VETH_PEER=
}

@test "spec13: netDevices without a name keeps the host name; a %d template gets a number" {
	local host=al13h$BATS_TEST_NUMBER peer=al13p$BATS_TEST_NUMBER
	make_veth "$host" "$peer"
	update_config --arg h "$host" '.linux.netDevices = {($h): {}}'
	run_sh "ip -o link show $host"
	assert_success
	assert_output_contains "$host@"
	host=al13t$BATS_TEST_NUMBER peer=al13q$BATS_TEST_NUMBER
	make_veth "$host" "$peer"
	update_config --arg h "$host" '.linux.netDevices = {($h): {"name": "net%d"}}'
	run_sh 'ip -o link show net0'
	assert_success
	assert_output_contains "net0@"
	VETH_PEER=
}

@test "spec13: netDevices refuses bad names with the JSON path, a missing device, a taken name" {
	update_config '.linux.netDevices = {"eth0": {"name": "a/b"}}'
	run_sh true
	assert_failure
	assert_output_contains 'linux.netDevices.eth0.name: invalid interface name "a/b"'
	update_config '.linux.netDevices = {"eth0": {"name": "waytoolonginterfacename"}}'
	run_sh true
	assert_failure
	assert_output_contains "linux.netDevices.eth0.name"
	assert_output_contains "longer than 15"
	update_config '.linux.netDevices = {"eth0": {"name": "x%s"}}'
	run_sh true
	assert_failure
	assert_output_contains '"%d"'
	update_config '.linux.netDevices = {"eth%d": {}}'
	run_sh true
	assert_failure
	assert_output_contains 'linux.netDevices["eth%d"]'
	update_config '.linux.netDevices = {"al13nosuchdev": {}}'
	run_sh true
	assert_failure
	assert_output_contains 'linux.netDevices["al13nosuchdev"]: no such interface'
	# lo already exists in every new namespace.
	local host=al13h$BATS_TEST_NUMBER peer=al13p$BATS_TEST_NUMBER
	make_veth "$host" "$peer"
	update_config --arg h "$host" '.linux.netDevices = {($h): {"name": "lo"}}'
	run_sh true
	assert_failure
	assert_output_contains '"lo" already exists'
	# Refused before the move: still on the host.
	ip link show "$host" >/dev/null
	# Without a network namespace there is nowhere to move it.
	update_config --arg h "$host" '.linux.netDevices = {($h): {}} | .linux.namespaces |= map(select(.type != "network"))'
	run_sh true
	assert_failure
	assert_output_contains "linux.netDevices: needs a network namespace"
}

@test "spec13: netDevices into a joined network namespace: delete moves it back to the host" {
	local host=al13h$BATS_TEST_NUMBER peer=al13p$BATS_TEST_NUMBER ns=al13ns$BATS_TEST_NUMBER
	make_veth "$host" "$peer"
	ip netns add "$ns"
	update_config --arg h "$host" --arg p "/run/netns/$ns" \
		'.linux.netDevices = {($h): {"name": "joined0"}} | .linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	run_sh 'ip -o link show joined0'
	local st=$status out=$output
	run ip netns exec "$ns" ip -o link show joined0
	local left=$status
	run ip link show "$host"
	local back=$status
	ip netns del "$ns"
	status=$st output=$out
	assert_success
	[ "$left" -ne 0 ] || fail "joined0 is still in $ns after delete"
	[ "$back" -eq 0 ] || fail "$host is not back on the host after delete"
}

@test "spec13: memoryPolicy MPOL_BIND to node 0 applies to the init and exec; bad values are refused" {
	update_config '.ociVersion = "1.3.0" | .linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	run_sh 'grep -E "bind:0|bind=0" /proc/self/numa_maps | head -1'
	assert_success
	assert_output_contains "bind:0"
	# exec'd processes too.
	set_args sleep 60
	al run -d --bundle "$BUNDLE" "$ID" </dev/null
	run al exec "$ID" sh -c 'grep -c bind:0 /proc/self/numa_maps'
	assert_success
	[ "$output" -gt 0 ] || fail "exec: no bind:0 mapping: $output"
	al delete --force "$ID"

	update_config '.linux.memoryPolicy = {"mode": "MPOL_NOPE"}'
	run_sh true
	assert_failure
	assert_output_contains 'linux.memoryPolicy.mode: unknown memory policy mode "MPOL_NOPE"'
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND"}'
	run_sh true
	assert_failure
	assert_output_contains "linux.memoryPolicy: this mode needs at least one node"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_BOGUS"]}'
	run_sh true
	assert_failure
	assert_output_contains 'linux.memoryPolicy.flags[0]: unknown memory policy flag "MPOL_F_BOGUS"'
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "3-1"}'
	run_sh true
	assert_failure
	assert_output_contains "linux.memoryPolicy.nodes: range goes down"
	# A node the host lacks: the kernel's refusal, named.
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "63"}'
	run_sh true
	assert_failure
	assert_output_contains "linux.memoryPolicy: set_mempolicy(MPOL_BIND, nodes 63)"
}

@test "spec13: intelRdt is refused where no resctrl is mounted" {
	grep -qw resctrl /proc/self/mountinfo && skip "resctrl is mounted on this host"
	update_config '.ociVersion = "1.3.0" | .linux.intelRdt = {"schemata": ["L3:0=ff"], "enableMonitoring": true}'
	run_sh true
	assert_failure
	assert_output_contains "linux.intelRdt: no resctrl filesystem is mounted"
	update_config '.linux.intelRdt = {"schemata": ["L3:0=ff\nMB:0=1"]}'
	run_sh true
	assert_failure
	assert_output_contains "linux.intelRdt.schemata[0]: must not contain newlines"
}

@test "spec13: execCPUAffinity: exec'd processes run on the final list; the init is untouched" {
	[ "$(nproc --all)" -ge 2 ] || skip "needs 2 CPUs"
	update_config '.ociVersion = "1.3.0" | .process.execCPUAffinity = {"initial": "0", "final": "1"}'
	set_args sleep 60
	al run -d --bundle "$BUNDLE" "$ID" </dev/null
	run al exec "$ID" sh -c 'grep Cpus_allowed_list /proc/self/status'
	assert_success
	assert_output_contains "Cpus_allowed_list:	1"
	# Only initial: the process keeps what the cgroup gives it after the move.
	local pid
	pid=$(state_field .pid)
	grep -q "Cpus_allowed_list:	0-1" "/proc/$pid/status" || fail "init affinity changed: $(grep Cpus_allowed_list /proc/$pid/status)"
	run al exec --process <(jq '.process | .args = ["true"] | .execCPUAffinity = {"final": "0-x"}' "$BUNDLE/config.json") "$ID"
	assert_failure
	assert_output_contains "execCPUAffinity"
	al delete --force "$ID"
}

@test "spec13: pids limit 0 is a real limit in a 1.3 config, and means none before 1.3" {
	local mnt=/sys/fs/cgroup/unified
	[ -e "$mnt/cgroup.controllers" ] && grep -qw pids "$mnt/cgroup.controllers" \
		|| skip "the cgroup2 tree has no pids controller on this host (only $(cat $mnt/cgroup.controllers 2>/dev/null))"
	update_config '.ociVersion = "1.3.0" | .linux.resources.pids = {"limit": 0}'
	run_sh 'cat /sys/fs/cgroup/pids.max'
	assert_failure
}
