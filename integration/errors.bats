#!/usr/bin/env bats
# Bad configurations: a non-zero exit, a message naming config.json and the
# JSON path (checked for airlock; runc's messages differ), nothing created.

load helpers

# Apply filter $1 (after jq options), expect create to fail naming $2.
bad_config() {
	local path=${!#}
	local opts=("${@:1:$#-1}")
	set_args sleep 100
	update_config "${opts[@]}"
	run_create
	assert_failure
	assert_airlock_output_contains "config.json"
	assert_airlock_output_contains "$path"
	[ -z "$(al list -q 2>/dev/null)" ] || fail "container created: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ] || fail "state left: $(ls -A "$ROOT")"
	! grep -qF "$BUNDLE" /proc/self/mountinfo || fail "mount left"
}

@test "missing config.json" {
	rm "$BUNDLE/config.json"
	run_create
	assert_failure
	assert_output_contains "config.json"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ]
}

@test "config.json that is not JSON" {
	echo '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	run_create
	assert_failure
	assert_airlock_output_contains "config.json"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ]
}

@test "process.args of the wrong type" {
	echo "$(jq '.process.args = "sh"' "$BUNDLE/config.json")" >"$BUNDLE/config.json"
	run_create
	assert_failure
	assert_airlock_output_contains "config.json"
	assert_airlock_output_contains "process.args"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ]
}

@test "unknown namespace type" {
	local n
	n=$(jq '.linux.namespaces | length' "$BUNDLE/config.json")
	bad_config '.linux.namespaces += [{type: "bogus"}]' "linux.namespaces[$n].type"
}

@test "duplicate namespace type" {
	local n
	n=$(jq '.linux.namespaces | length' "$BUNDLE/config.json")
	bad_config '.linux.namespaces += [{type: "pid"}]' "linux.namespaces[$n]"
}

@test "namespace path that does not exist" {
	bad_config '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/ns" else . end)' '/nonexistent/ns'
}

@test "unknown rlimit type" {
	bad_config '.process.rlimits += [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]' 'RLIMIT_BOGUS'
}

@test "rootfs that does not exist" {
	bad_config '.root.path = "nonexistent-rootfs"' 'nonexistent-rootfs'
}

@test "unknown capability (airlock)" {
	is_airlock || skip "runc 1.1 ignores unknown capabilities"
	bad_config '.process.capabilities.bounding += ["CAP_BOGUS"]' 'process.capabilities.bounding[3]'
}

@test "relative mount destination (airlock)" {
	is_airlock || skip "runc 1.1 accepts relative destinations"
	local n
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	bad_config '.mounts += [{destination: "relative/dir", type: "tmpfs", source: "tmpfs"}]' "mounts[$n].destination"
}

@test "missing process.args (airlock)" {
	is_airlock || skip "runc 1.1 reports this only at start"
	bad_config 'del(.process.args)' 'process.args'
}

@test "unknown seccomp action" {
	bad_config '.linux.seccomp = {defaultAction: "SCMP_ACT_BOGUS"}' 'linux.seccomp.defaultAction'
}

@test "a sysctl that is not namespaced" {
	# Refused before anything is created (hostile/sysctl.bats has the cases).
	update_config '.linux.sysctl = {"kernel.bogus_knob": "1"}'
	set_args sleep 100
	run_create
	assert_failure
	assert_airlock_output_contains 'kernel.bogus_knob'
	[ -z "$(al list -q 2>/dev/null)" ] || fail "container created: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ] || fail "state left: $(ls -A "$ROOT")"
	! grep -qF "$BUNDLE" /proc/self/mountinfo || fail "mount left"
}
