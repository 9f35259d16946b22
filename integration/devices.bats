#!/usr/bin/env bats
# linux.resources.devices: the device cgroup rules (a BPF_CGROUP_DEVICE
# program on cgroup v2), with the default devices always allowed.

load helpers

@test "devices: the default config (deny all) still allows the standard devices" {
	run_sh 'head -c1 /dev/zero | od -An -tx1; echo data >/dev/null && echo null-ok; head -c4 /dev/urandom | wc -c; echo x 2>&1 >/dev/full; true'
	assert_success
	assert_output_contains "00"
	assert_output_contains null-ok
	assert_output_contains 4
	# /dev/full is reachable: writing fails with ENOSPC, not EPERM.
	refute_output_contains "Operation not permitted"
}

@test "devices: a device node without an allow rule cannot be opened" {
	update_config '.linux.devices += [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]'
	run_sh 'ls -l /dev/fuse; exec 3<>/dev/fuse && echo opened'
	assert_failure
	assert_output_contains "/dev/fuse"
	assert_output_contains "Operation not permitted"
	refute_output_contains opened
}

@test "devices: an allow rule lets the device be opened" {
	update_config '.linux.devices += [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rw"}]'
	# Without a fuse daemon the open may still fail (ENODEV, ENXIO...), but
	# never with EPERM.
	run_sh 'exec 3<>/dev/fuse && echo opened; true'
	assert_success
	refute_output_contains "Operation not permitted"
}

@test "devices: read-only access lets reads through and refuses writes" {
	update_config '.linux.devices += [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "r"}]'
	run_sh 'exec 3</dev/fuse && echo read-opened; exec 4>/dev/fuse && echo write-opened; true'
	refute_output_contains write-opened
	assert_output_contains "Operation not permitted"
	# The read open got past the device filter (whatever fuse says).
	[ "$(echo "$output" | grep -c "Operation not permitted")" -eq 1 ] || fail "read open refused too: $output"
}

@test "devices: the default devices are appended after the config's rules (as runc does)" {
	# A deny rule for /dev/zero is overridden by the default allow rules that
	# come after it: users cannot take the standard devices away.
	update_config '.linux.resources.devices += [{allow: false, type: "c", major: 1, minor: 5, access: "rwm"}]'
	run_sh 'head -c1 /dev/zero | wc -c; echo x >/dev/zero && echo wrote'
	assert_success
	assert_output_contains wrote
}

@test "devices: the last matching rule wins" {
	update_config '.linux.devices += [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rwm"},
		                               {allow: false, type: "c", major: 10, minor: 229, access: "rwm"}]'
	run_sh 'exec 3<>/dev/fuse && echo opened'
	assert_failure
	assert_output_contains "Operation not permitted"
}

@test "devices: allow all (type a) gives access to any device" {
	update_config '.linux.devices += [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]
		| .linux.resources.devices = [{allow: true, access: "rwm"}]'
	run_sh 'exec 3<>/dev/fuse && echo opened; true'
	assert_success
	refute_output_contains "Operation not permitted"
}

@test "devices: a rule that punches a hole in a wildcard rule is refused, naming it" {
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", access: "rwm"},
		{allow: false, type: "c", major: 1, minor: 3, access: "w"}]'
	run_sh 'true'
	assert_failure
	assert_airlock_output_contains "linux.resources.devices[2]"
}
