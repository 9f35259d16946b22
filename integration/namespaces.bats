#!/usr/bin/env bats
# linux.namespaces: new ones are new, joined ones are joined.

load helpers

NETNS=

teardown() {
	[ -z "$NETNS" ] || ip netns delete "$NETNS" 2>/dev/null || true
	[ -z "${HOLDER:-}" ] || { kill -9 "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null; } || true
	al_teardown
}

# Make sure config.json asks for a new namespace of OCI type $1.
want_ns() {
	update_config --arg t "$1" 'if any(.linux.namespaces[]; .type == $t) then . else .linux.namespaces += [{type: $t}] end'
}

userns_config() {
	want_ns user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

# The container sees namespace /proc/self/ns/$1 different from ours.
assert_new_ns() {
	run_sh "readlink /proc/self/ns/$1"
	assert_success
	[[ "$output" =~ ^$1:\[[0-9]+\]$ ]] || fail "readlink: $output"
	[ "$output" != "$(readlink "/proc/self/ns/$1")" ] || fail "$1 namespace is the host's: $output"
}

@test "new pid namespace" {
	want_ns pid
	assert_new_ns pid
	run_sh 'echo $$'
	assert_output 1
}

@test "new network namespace" {
	want_ns network
	assert_new_ns net
	# Only a loopback device.
	run_sh 'ls /sys/class/net'
	assert_output lo
}

@test "new mount namespace" {
	want_ns mount
	assert_new_ns mnt
}

@test "new ipc namespace" {
	want_ns ipc
	assert_new_ns ipc
}

@test "new uts namespace" {
	want_ns uts
	update_config '.hostname = "inside"'
	assert_new_ns uts
	run_sh hostname
	assert_output inside
	[ "$(hostname)" != inside ]
}

@test "new cgroup namespace" {
	want_ns cgroup
	assert_new_ns cgroup
}

@test "new user namespace with the configured mapping" {
	userns_config
	assert_new_ns user
	run_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g'
	assert_success
	local norm
	norm=$(echo "$output" | awk '{$1=$1; print}')
	[ "$norm" = "0 100000 65536
0 100000 65536
0
0" ] || fail "got: $output"
}

@test "user namespace: the host sees the mapped uid" {
	userns_config
	make_fifos ready go
	set_args sh -c 'echo ready > /ready; read x < /go'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready"
	local pid
	pid=$(state_field .pid)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100000 ]
	echo go >"$BUNDLE/rootfs/go"
}

@test "new time namespace with offsets (airlock)" {
	is_airlock || skip "runc 1.1 has no time namespace"
	want_ns time
	update_config '.linux.timeOffsets = {boottime: {secs: 86400000, nanosecs: 0}, monotonic: {secs: 1000, nanosecs: 0}}'
	assert_new_ns time
	run_sh 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime'
	assert_success
	echo "$output" | grep -Eq '^monotonic +1000 +0$' || fail "offsets: $output"
	echo "$output" | grep -Eq '^boottime +86400000 +0$' || fail "offsets: $output"
	local up
	up=$(echo "$output" | tail -n1)
	[ "$up" -ge 86400000 ] || fail "uptime $up not shifted"
}

@test "joining a network namespace by path" {
	NETNS=al-$ID
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo mtu 1234
	update_config --arg p "/var/run/netns/$NETNS" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	run_sh 'readlink /proc/self/ns/net; cat /sys/class/net/lo/mtu'
	assert_success
	[ "${lines[0]}" = "net:[$(ns_inode "/var/run/netns/$NETNS")]" ] || fail "got ${lines[0]}"
	[ "${lines[1]}" = 1234 ] || fail "lo mtu ${lines[1]}"
}

@test "joining a uts namespace of a running process" {
	mkfifo "$WORK/holder"
	unshare --uts sh -c 'hostname joined-uts; echo up; exec sleep 1000' >"$WORK/holder" &
	HOLDER=$!
	wait_fifo "$WORK/holder" >/dev/null
	update_config --arg p "/proc/$HOLDER/ns/uts" 'del(.hostname) | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)'
	run_sh 'readlink /proc/self/ns/uts; hostname'
	assert_success
	[ "${lines[0]}" = "uts:[$(ns_inode "/proc/$HOLDER/ns/uts")]" ] || fail "got ${lines[0]}"
	[ "${lines[1]}" = joined-uts ] || fail "hostname ${lines[1]}"
}

@test "without a network namespace the container shares the host's" {
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	run_sh 'readlink /proc/self/ns/net'
	assert_success
	assert_output "$(readlink /proc/self/ns/net)"
}

# No mount namespace in linux.namespaces, and nothing that would mount.
shared_mount_ns_config() {
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .mounts = [] | del(.linux.maskedPaths, .linux.readonlyPaths, .linux.rootfsPropagation, .linux.devices)
		| .root.readonly = false'
}

@test "without a mount namespace the container shares the host's, chrooted into its rootfs" {
	shared_mount_ns_config
	echo inside >"$BUNDLE/rootfs/marker"
	mkdir -p "$BUNDLE/rootfs/sub"
	make_fifos go
	update_config '.process.cwd = "/sub"'
	set_args sh -c 'pwd > /pwd; cat /marker > /seen; read x < /go'
	create_container
	local pid
	pid=$(state_field .pid)
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] || fail "init in another mount namespace"
	[ "$(readlink "/proc/$pid/root")" = "$BUNDLE/rootfs" ] || fail "init root: $(readlink "/proc/$pid/root")"
	! grep -qF "$BUNDLE" /proc/self/mountinfo || fail "mounted in the host's namespace: $(grep -F "$BUNDLE" /proc/self/mountinfo)"
	# Only stdio and exec.fifo are open in the init: nothing of the host's.
	local fd target
	for fd in /proc/"$pid"/fd/*; do
		target=$(readlink "$fd")
		case "${fd##*/}:$target" in
		0:/dev/null | 1:"$WORK/stdout" | 2:"$WORK/stderr" | *:"$ROOT/$ID/exec.fifo") ;;
		*) fail "init holds fd ${fd##*/} -> $target" ;;
		esac
	done
	al start "$ID"
	echo go >"$BUNDLE/rootfs/go"
	wait_status "$ID" stopped
	[ "$(cat "$BUNDLE/rootfs/pwd")" = /sub ]
	[ "$(cat "$BUNDLE/rootfs/seen")" = inside ]
	al delete "$ID"
}

@test "without a mount namespace: exec chroots into the init's root; process.cwd stays inside it" {
	shared_mount_ns_config
	echo inside >"$BUNDLE/rootfs/marker"
	make_fifos ready
	update_config '.process.cwd = "/../../../.."'
	set_args sh -c 'pwd > /ready; sleep 100'
	create_container
	al start "$ID"
	[ "$(wait_fifo "$BUNDLE/rootfs/ready")" = / ]
	run al exec "$ID" cat /marker
	assert_success
	assert_output inside
	run al exec --cwd /../.. "$ID" sh -c 'pwd; ls /'
	assert_success
	[ "${lines[0]}" = / ] || fail "exec cwd: $output"
	assert_output_contains marker
	al delete --force "$ID"
}

@test "without a mount namespace: what would mount in the host's namespace is refused" {
	shared_mount_ns_config
	set_args true
	local cfg=$BUNDLE/config.json
	cp "$cfg" "$WORK/base.json"
	local case key filter
	for case in \
		'mounts[0]|.mounts = [{destination: "/tmp", type: "tmpfs", source: "tmpfs"}]' \
		'linux.maskedPaths[0]|.linux.maskedPaths = ["/proc/kcore"]' \
		'linux.readonlyPaths[0]|.linux.readonlyPaths = ["/proc/sys"]' \
		'linux.rootfsPropagation|.linux.rootfsPropagation = "private"' \
		'linux.devices[0]|.linux.devices = [{path: "/dev/fuse", type: "c", major: 10, minor: 229}]' \
		'root.readonly|.root.readonly = true'; do
		key=${case%%|*}
		filter=${case#*|}
		cp "$WORK/base.json" "$cfg"
		update_config "$filter"
		run_create
		assert_failure
		assert_airlock_output_contains "$key: needs a mount namespace of the container's own"
		[ -z "$(al list -q)" ] || fail "$key: container left: $(al list)"
	done
	! grep -qF "$BUNDLE" /proc/self/mountinfo
}

@test "without a mount namespace: a profile that adds none refuses the config" {
	shared_mount_ns_config
	# A profile that does not add one itself: refused.
	cat >"$WORK/nomnt.json" <<-'EOF2'
		{ "name": "nomnt", "namespaces": { "new": ["pid"] }, "capabilities": [], "mountTypes": [] }
	EOF2
	update_config --arg p "$WORK/nomnt.json" '.annotations["airlock.profile"] = $p'
	set_args true
	run_create
	assert_failure
	assert_airlock_output_contains "the container's profile needs a mount namespace of its own"
	[ -z "$(al list -q)" ] || fail "container left: $(al list)"
}
