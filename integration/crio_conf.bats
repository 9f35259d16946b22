#!/usr/bin/env bats
# integration/k8s/crio-airlock.conf, the CRI-O drop-in, against CRI-O 1.26's
# configuration schema as integration/crio_conf.py encodes it (there is no
# CRI-O binary here: Debian 12 has no cri-o package). conmon.bats drives
# airlock through conmon with this file's monitor_env.

AL_TOP=$(cd "$(dirname "$BATS_TEST_FILENAME")/.." && pwd)
CHECK=$AL_TOP/integration/crio_conf.py
DROPIN=$AL_TOP/integration/k8s/crio-airlock.conf

setup() {
	TMP=$(mktemp -d /tmp/al-crio.XXXXXX)
}

teardown() {
	rm -rf "$TMP"
}

fail() {
	echo "$@" >&2
	return 1
}

@test "crio-airlock.conf: only CRI-O 1.26 handler keys, only CRI-O's annotation names" {
	run python3 "$CHECK" check "$DROPIN"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "ok: airlock runtime_path=/usr/local/bin/airlock runtime_type=oci monitor_path=/usr/bin/conmon allowed_annotations=[]" ] ||
		fail "$output"
}

@test "crio-airlock.conf: runtime_path is where make install puts airlock, monitor_path is Debian's conmon" {
	run make -s -C "$AL_TOP" -n install
	[[ "$output" == *" /usr/local/bin/airlock"* ]] || fail "make install: $output"
	grep -qx 'runtime_path = "/usr/local/bin/airlock"' "$DROPIN"
	grep -qx 'monitor_path = "/usr/bin/conmon"' "$DROPIN"
	if command -v dpkg >/dev/null && dpkg -S /usr/bin/conmon >/dev/null 2>&1; then
		[ "$(dpkg -S /usr/bin/conmon | cut -d: -f1)" = conmon ]
	fi
	run python3 "$CHECK" monitor-env "$DROPIN" airlock
	[ "$status" -eq 0 ]
	[[ "$output" == PATH=/* ]] || fail "monitor_env: $output"
}

# The drop-in shipped before issue 14: CRI-O rejects the handler.
@test "crio_conf.py: airlock's own annotations in allowed_annotations are refused, as CRI-O does" {
	cat >"$TMP/old.conf" <<-'EOF'
	[crio.runtime.runtimes.airlock]
	runtime_path = "/usr/local/bin/airlock"
	runtime_type = "oci"
	runtime_root = "/run/airlock"
	monitor_path = "/usr/bin/conmon"
	monitor_cgroup = "pod"
	allowed_annotations = [
	    "airlock.profile",
	    "airlock.timeout",
	]
	EOF
	run python3 "$CHECK" check "$TMP/old.conf"
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"crio.runtime.runtimes.airlock.allowed_annotations: invalid allowed_annotation: airlock.profile"* ]] ||
		fail "$output"
}

@test "crio_conf.py: unknown and later keys, bad types, cgroups and annotation names are refused" {
	cat >"$TMP/bad.conf" <<-'EOF'
	[crio.runtime.runtimes.airlock]
	runtime_path = "airlock"
	runtime_type = "oci"
	runtime_config_path = "/etc/airlock.toml"
	monitor_path = "/usr/bin/conmon"
	monitor_cgroup = "system.slice"
	monitor_exec_cgroup = "pod"
	monitor_env = "PATH=/bin"
	privileged_without_host_devices = "yes"
	allowed_annotations = ["io.kubernetes.cri-o.umask", "io.kubernetes.cri-o.LinkLogs", "io.kubernetes.cri-o.Devices"]
	platform_runtime_paths = { "linux/amd64" = "/usr/local/bin/airlock" }
	default_annotations = { "airlock.profile" = "untrusted-pod" }
	runtime_args = ["--debug"]
	EOF
	run python3 "$CHECK" check "$TMP/bad.conf"
	[ "$status" -eq 1 ] || fail "$output"
	local want
	for want in "runtime_path: must be an absolute path" \
		"runtime_config_path: can only be used with the 'vm' runtime type" \
		'monitor_cgroup: "system.slice" is not valid with both cgroup managers' \
		'monitor_exec_cgroup: "pod" is not "" or "container"' \
		"monitor_env: must be a list" \
		"privileged_without_host_devices: must be a bool" \
		"io.kubernetes.cri-o.umask is accepted by CRI-O 1.27 only" \
		"io.kubernetes.cri-o.LinkLogs is accepted by CRI-O 1.26.4" \
		"platform_runtime_paths: not a key of CRI-O 1.26's runtime handler (added in 1.28)" \
		"default_annotations: not a key of CRI-O 1.26's runtime handler (added in 1.32)" \
		"runtime_args: unknown key"; do
		[[ "$output" == *"$want"* ]] || fail "no <<$want>> in: $output"
	done
	# A CRI-O annotation name is fine.
	[[ "$output" != *"io.kubernetes.cri-o.Devices"* ]] || fail "$output"
}

@test "crio_conf.py: a drop-in that sets anything but runtime handlers is refused" {
	printf '[crio.runtime]\nconmon_env = ["PATH=/bin"]\n' >"$TMP/top.conf"
	run python3 "$CHECK" check "$TMP/top.conf"
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"crio.runtime.conmon_env: this drop-in should only add runtime handlers"* ]] || fail "$output"
}
