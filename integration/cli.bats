#!/usr/bin/env bats
# The command line itself: version, help, unknown commands, spec.

load helpers

@test "--version prints a version and the spec version" {
	run "$AIRLOCK" --version
	assert_success
	assert_output_contains "version"
	assert_output_contains "spec: 1."
}

@test "--help of each command describes it" {
	local cmd
	for cmd in create start run state list kill delete spec; do
		run "$AIRLOCK" "$cmd" --help
		assert_success
		[ -n "$output" ] || fail "$cmd --help printed nothing"
		echo "$output" | grep -qi "usage" || fail "$cmd --help: no usage: $output"
		assert_output_contains "$cmd"
	done
}

@test "global --help lists the commands" {
	run "$AIRLOCK" --help
	assert_success
	local cmd
	for cmd in create start run state list kill delete spec; do
		assert_output_contains "$cmd"
	done
}

@test "an unknown command is an error naming it" {
	run "$AIRLOCK" --root "$ROOT" frobnicate
	assert_failure
	assert_output_contains "frobnicate"
	[ -z "$(ls -A "$ROOT")" ] || fail "state root not empty"
}

@test "spec writes a valid config.json" {
	cd "$WORK"
	run "$AIRLOCK" spec
	assert_success
	[ -f config.json ] || fail "no config.json"
	run jq -r '.ociVersion, .root.path, (.process.args | join(" "))' config.json
	assert_success
	[ "${lines[1]}" = rootfs ] || fail "root.path: ${lines[1]}"
	[ "${lines[2]}" = sh ] || fail "process.args: ${lines[2]}"
	run jq -r '[.linux.namespaces[].type] | sort | join(",")' config.json
	local ns
	for ns in ipc mount network pid uts; do
		assert_output_contains "$ns"
	done
	refute_output_contains user
}

@test "spec --bundle writes into the bundle" {
	run "$AIRLOCK" spec --bundle "$WORK"
	assert_success
	jq -e .process "$WORK/config.json" >/dev/null
}

@test "spec refuses to overwrite config.json" {
	cd "$WORK"
	echo '{"keep": "me"}' >config.json
	run "$AIRLOCK" spec
	assert_failure
	assert_output_contains "config.json"
	[ "$(cat config.json)" = '{"keep": "me"}' ] || fail "config.json was changed"
}

@test "spec --rootless adds a user namespace with a mapping of the caller" {
	cd "$WORK"
	run "$AIRLOCK" spec --rootless
	assert_success
	run jq -r '[.linux.namespaces[].type] | sort | join(",")' config.json
	assert_output_contains "user"
	refute_output_contains "network"
	run jq -r '.linux.uidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' config.json
	assert_output "0 $(id -u) 1"
	run jq -r '.linux.gidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' config.json
	assert_output "0 $(id -g) 1"
}
