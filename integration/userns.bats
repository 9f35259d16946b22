#!/usr/bin/env bats
# User namespaces joined by path (Kubernetes hostUsers: false pods): the
# container joins a user namespace made beforehand and gets new pid, mount,
# uts, ipc and network namespaces owned by it. And user namespaces (new or
# joined) with other namespaces joined by path that belong to another user
# namespace (the pod's CNI netns, the host's): the runtime joins those first.

load helpers

HOLDER=
NETNS=

teardown() {
	[ -z "$HOLDER" ] || { kill -9 "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null; } || true
	al_teardown
	[ -z "$NETNS" ] || ip netns del "$NETNS" 2>/dev/null || true
}

# A network namespace of the host's user namespace, as CNI makes for a pod.
make_netns() {
	NETNS=al-$ID
	ip netns add "$NETNS"
}

# Start the container $1 detached (sh waits on /go after writing /ready),
# wait until it runs; CPID gets its init's host pid.
run_waiting() {
	rm -f "$BUNDLE/rootfs/ready" "$BUNDLE/rootfs/go"
	make_fifos ready go
	set_args sh -c 'echo ready > /ready; read x < /go'
	al run --detach --bundle "$BUNDLE" "$1" </dev/null >"$WORK/out" 2>&1 || fail "run $1: $(cat "$WORK/out")"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	CPID=$(state_field .pid "$1")
}

# The host uid of process $1.
host_uid() {
	awk '/^Uid:/ {print $2}' "/proc/$1/status"
}

# A user namespace held by a sleeping process, mapping 0..65535 to 100000..
make_userns() {
	mkfifo "$WORK/holder"
	unshare --user sh -c 'echo up; exec sleep 1000' >"$WORK/holder" &
	HOLDER=$!
	wait_fifo "$WORK/holder" >/dev/null
	echo "0 100000 65536" >"/proc/$HOLDER/uid_map"
	echo "0 100000 65536" >"/proc/$HOLDER/gid_map"
}

# config.json: the user namespace by path, new pid/mount/uts/ipc/network.
join_userns_config() {
	update_config --arg p "/proc/$HOLDER/ns/user" '
		.linux.namespaces = [{type: "user", path: $p}, {type: "pid"}, {type: "mount"},
			{type: "uts"}, {type: "ipc"}, {type: "network"}]
		| del(.linux.uidMappings) | del(.linux.gidMappings)'
}

@test "user namespace joined by path with new pid/mount/uts/ipc/net: root inside, mapped uid outside" {
	make_userns
	join_userns_config
	run_sh 'id -u; readlink /proc/self/ns/user; echo $$'
	assert_success
	[ "${lines[0]}" = 0 ] || fail "id -u: $output"
	[ "${lines[1]}" = "user:[$(ns_inode "/proc/$HOLDER/ns/user")]" ] || fail "userns: $output"
	[ "${lines[2]}" = 1 ] || fail "pid: $output"
	make_fifos ready go
	set_args sh -c 'echo ready > /ready; read x < /go'
	al run --detach --bundle "$BUNDLE" "$ID-d" </dev/null >"$WORK/out" 2>&1 || fail "run: $(cat "$WORK/out")"
	wait_fifo "$BUNDLE/rootfs/ready"
	local pid
	pid=$(state_field .pid "$ID-d")
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100000 ] || fail "host uid: $(grep ^Uid: "/proc/$pid/status")"
	# The new namespaces belong to the joined user namespace.
	local t
	for t in pid mnt uts ipc net; do
		[ "$(readlink "/proc/$pid/ns/$t")" != "$(readlink "/proc/self/ns/$t")" ] || fail "$t namespace is the host's"
	done
	# exec joins them all.
	run al exec "$ID-d" sh -c 'id -u; readlink /proc/self/ns/user; readlink /proc/self/ns/pid'
	assert_success
	[ "${lines[0]}" = 0 ] || fail "exec id -u: $output"
	[ "${lines[1]}" = "user:[$(ns_inode "/proc/$HOLDER/ns/user")]" ] || fail "exec userns: $output"
	[ "${lines[2]}" = "$(readlink "/proc/$pid/ns/pid")" ] || fail "exec pidns: $output"
	echo go >"$BUNDLE/rootfs/go"
}

@test "user namespace joined by path: linux.uidMappings equal to its maps are accepted, others refused" {
	make_userns
	join_userns_config
	# containerd repeats the joined namespace's maps: accepted.
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	run_sh 'id -u'
	assert_success
	assert_output 0
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	run al run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "linux.uidMappings: differ from the maps of the user namespace joined by path"
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 1}]'
	run al run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "linux.gidMappings: differ from the maps of the user namespace joined by path"
}

# A host dir owned by uid/gid 1000, bound with a mapping of host 1000 to the
# container's root (host kuid 100000 once through the container's map).
idmapped_bind_config() {
	mkdir -p "$WORK/vol" "$BUNDLE/rootfs/vol"
	echo data >"$WORK/vol/f"
	chown -R 1000:1000 "$WORK/vol"
	update_config --arg s "$WORK/vol" '.mounts += [{destination: "/vol", type: "bind", source: $s,
		options: ["rbind", "rw"],
		uidMappings: [{containerID: 1000, hostID: 100000, size: 1}],
		gidMappings: [{containerID: 1000, hostID: 100000, size: 1}]}]'
}

@test "idmapped bind mount in a joined user namespace: mapped owner inside, real owner outside" {
	make_userns
	join_userns_config
	idmapped_bind_config
	run_sh 'stat -c "%u:%g" /vol/f; echo new > /vol/g && stat -c "%u:%g" /vol/g'
	assert_success
	[ "${lines[0]}" = 0:0 ] || fail "owner inside: $output"
	[ "${lines[1]}" = 0:0 ] || fail "new file inside: $output"
	[ "$(stat -c %u:%g "$WORK/vol/f")" = 1000:1000 ] || fail "owner outside: $(stat -c %u:%g "$WORK/vol/f")"
	# Created by the container's root: on disk it is the host's 1000.
	[ "$(stat -c %u:%g "$WORK/vol/g")" = 1000:1000 ] || fail "new file outside: $(stat -c %u:%g "$WORK/vol/g")"
}

@test "idmapped bind mount in a new user namespace (idmap option, the container's maps)" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	mkdir -p "$WORK/vol" "$BUNDLE/rootfs/vol"
	echo data >"$WORK/vol/f"
	chown -R 5:6 "$WORK/vol"
	update_config --arg s "$WORK/vol" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["bind", "idmap", "rprivate"]}]'
	# Without the idmap the container would see nobody (host 5 is unmapped).
	run_sh 'stat -c "%u:%g" /vol/f'
	assert_success
	assert_output 5:6
}

@test "idmapped mount without a user namespace is refused naming mounts[i].uidMappings" {
	idmapped_bind_config
	local i
	i=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
	run al run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "mounts[$i].uidMappings: an idmapped mount needs a user namespace in the container"
}

# A new user namespace mapping 0..65535 to 100000..
new_userns_config() {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "idmapped tmpfs: the mount's maps or the container's give its owner inside, its options apply" {
	new_userns_config
	mkdir -p "$BUNDLE/rootfs/t" "$BUNDLE/rootfs/u" "$BUNDLE/rootfs/w"
	# /t: made with root 0:0, mapped 0 -> host 101000 (the container's 1000).
	# /u: made with root 1000:1000, idmapped with the container's own maps:
	#     1000 inside.
	# /w: like /t without the idmap: made by the init, 0:0 inside.
	update_config '.mounts += [
		{destination: "/t", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "uid=0", "gid=0", "mode=750", "size=1m"],
			uidMappings: [{containerID: 0, hostID: 101000, size: 1}],
			gidMappings: [{containerID: 0, hostID: 101000, size: 1}]},
		{destination: "/u", type: "tmpfs", source: "tmpfs", options: ["idmap", "uid=1000", "gid=1000", "nr_inodes=100"]},
		{destination: "/w", type: "tmpfs", source: "tmpfs", options: ["uid=0", "gid=0", "mode=750"]}]'
	run_sh 'stat -c "%u:%g %a" /t /u /w; grep -E " /(t|u) " /proc/self/mountinfo; df -k /t | tail -n1; touch /u/f && stat -c "%u:%g" /u/f'
	assert_success
	[ "${lines[0]}" = "1000:1000 750" ] || fail "/t: $output"
	[ "${lines[1]}" = "1000:1000 1777" ] || fail "/u: $output"
	[ "${lines[2]}" = "0:0 750" ] || fail "/w (no idmap): $output"
	echo "${lines[3]}" | grep -q " /t [^ ]*nosuid,nodev[^ ]*,idmapped - tmpfs tmpfs .*size=1024k" || fail "/t mountinfo: ${lines[3]}"
	echo "${lines[4]}" | grep -q " /u [^ ]*,idmapped - tmpfs tmpfs .*nr_inodes=100" || fail "/u mountinfo: ${lines[4]}"
	echo "${lines[5]}" | grep -Eq "^tmpfs +1024 " || fail "/t size: ${lines[5]}"
	# Created by the container's root through the container's own maps.
	[ "${lines[6]}" = 0:0 ] || fail "/u/f: $output"
	# features still says idmap.
	run al features
	assert_success
	[ "$(echo "$output" | jq -r '.linux.mountExtensions.idmap.enabled')" = true ] || fail "features: $output"
}

@test "idmapped tmpfs: a bad tmpfs option is named; other types are refused naming mounts[i]" {
	new_userns_config
	update_config '.mounts += [{destination: "/t", type: "tmpfs", source: "tmpfs", options: ["idmap", "size=lots"]}]'
	local i
	i=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
	run al run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "mounts[$i].options: tmpfs option \"size=lots\""
	update_config '.mounts[-1] = {destination: "/t", type: "proc", source: "proc", options: ["idmap"]}'
	run al run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "mounts[$i]: idmapped mounts of type \"proc\": only bind and tmpfs mounts are supported"
}

@test "idmapped tmpfs is refused under a sandbox profile" {
	export AIRLOCK_PROFILES_DIR=$BATS_TEST_DIRNAME/../specs/profiles
	update_config '.annotations["airlock.profile"] = "untrusted"
		| .mounts += [{destination: "/t", type: "tmpfs", source: "tmpfs", options: ["idmap"]}]'
	run al run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "idmapped mounts of tmpfs are not allowed under a sandbox profile"
}

@test "new user namespace with a host network namespace joined by path (a pod's CNI netns): root inside, mapped uid outside, exec" {
	make_netns
	update_config --arg p "/run/netns/$NETNS" '.linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "uts"},
			{type: "ipc"}, {type: "user"}, {type: "network", path: $p}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	run_waiting "$ID"
	local net="net:[$(ns_inode "/run/netns/$NETNS")]"
	[ "$(readlink "/proc/$CPID/ns/net")" = "$net" ] || fail "netns: $(readlink "/proc/$CPID/ns/net")"
	[ "$(host_uid "$CPID")" = 100000 ] || fail "host uid: $(host_uid "$CPID")"
	# A new user namespace, the others new in it.
	local t
	for t in user pid mnt uts ipc; do
		[ "$(readlink "/proc/$CPID/ns/$t")" != "$(readlink "/proc/self/ns/$t")" ] || fail "$t namespace is the host's"
	done
	run al exec "$ID" sh -c 'id -u; readlink /proc/self/ns/net; readlink /proc/self/ns/user; hostname'
	assert_success
	[ "${lines[0]}" = 0 ] || fail "exec id -u: $output"
	[ "${lines[1]}" = "$net" ] || fail "exec netns: $output"
	[ "${lines[2]}" = "$(readlink "/proc/$CPID/ns/user")" ] || fail "exec userns: $output"
	[ "${lines[3]}" = airlock ] || fail "exec hostname: $output"
	echo go >"$BUNDLE/rootfs/go"
	al delete --force "$ID"
	# In the foreground too: the init sees the netns and is root.
	run_sh 'id -u; readlink /proc/self/ns/net'
	assert_success
	[ "${lines[0]}" = 0 ] || fail "id -u: $output"
	[ "${lines[1]}" = "$net" ] || fail "netns: $output"
}

@test "joined user namespace with a host network namespace joined by path and new pid/mount/uts/ipc, exec" {
	make_userns
	make_netns
	update_config --arg u "/proc/$HOLDER/ns/user" --arg p "/run/netns/$NETNS" '
		.linux.namespaces = [{type: "user", path: $u}, {type: "pid"}, {type: "mount"},
			{type: "uts"}, {type: "ipc"}, {type: "network", path: $p}]
		| del(.linux.uidMappings) | del(.linux.gidMappings)'
	run_waiting "$ID"
	local net="net:[$(ns_inode "/run/netns/$NETNS")]" user="user:[$(ns_inode "/proc/$HOLDER/ns/user")]"
	[ "$(readlink "/proc/$CPID/ns/net")" = "$net" ] || fail "netns: $(readlink "/proc/$CPID/ns/net")"
	[ "$(readlink "/proc/$CPID/ns/user")" = "$user" ] || fail "userns: $(readlink "/proc/$CPID/ns/user")"
	[ "$(host_uid "$CPID")" = 100000 ] || fail "host uid: $(host_uid "$CPID")"
	local t
	for t in pid mnt uts ipc; do
		[ "$(readlink "/proc/$CPID/ns/$t")" != "$(readlink "/proc/self/ns/$t")" ] || fail "$t namespace is the host's"
	done
	# The new ones belong to the joined user namespace: its root (the init)
	# could set the hostname of the new uts namespace.
	run al exec "$ID" sh -c 'id -u; readlink /proc/self/ns/net; readlink /proc/self/ns/user; hostname'
	assert_success
	[ "${lines[0]}" = 0 ] || fail "exec id -u: $output"
	[ "${lines[1]}" = "$net" ] || fail "exec netns: $output"
	[ "${lines[2]}" = "$user" ] || fail "exec userns: $output"
	[ "${lines[3]}" = airlock ] || fail "exec hostname: $output"
	echo go >"$BUNDLE/rootfs/go"
}

@test "new user namespace joining the ipc and uts namespaces of a container with its own user namespace, exec" {
	update_config '.linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "uts"}, {type: "ipc"},
			{type: "user"}, {type: "network"}]
		| .hostname = "first"
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	run_waiting "$ID-a"
	local apid=$CPID
	# The second container: another bundle, another mapping, the first one's
	# ipc and uts namespaces (owned by the first one's user namespace).
	local first=$BUNDLE
	BUNDLE=$WORK/second
	"$MKBUNDLE" "$BUNDLE" >/dev/null
	update_config --arg i "/proc/$apid/ns/ipc" --arg u "/proc/$apid/ns/uts" '
		.linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "ipc", path: $i}, {type: "uts", path: $u},
			{type: "user"}, {type: "network"}]
		| del(.hostname)
		| .mounts |= map(select(.type != "mqueue"))
		| .linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	run_waiting "$ID-b"
	local bpid=$CPID t
	for t in ipc uts; do
		[ "$(readlink "/proc/$bpid/ns/$t")" = "$(readlink "/proc/$apid/ns/$t")" ] || fail "$t: not the first container's"
	done
	[ "$(readlink "/proc/$bpid/ns/user")" != "$(readlink "/proc/$apid/ns/user")" ] || fail "user namespace shared"
	[ "$(host_uid "$bpid")" = 200000 ] || fail "host uid: $(host_uid "$bpid")"
	run al exec "$ID-b" sh -c 'id -u; hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts'
	assert_success
	[ "${lines[0]}" = 0 ] || fail "exec id -u: $output"
	[ "${lines[1]}" = first ] || fail "exec hostname: $output"
	[ "${lines[2]}" = "$(readlink "/proc/$apid/ns/ipc")" ] || fail "exec ipc: $output"
	[ "${lines[3]}" = "$(readlink "/proc/$apid/ns/uts")" ] || fail "exec uts: $output"
	echo go >"$BUNDLE/rootfs/go"
	echo go >"$first/rootfs/go"
}

@test "new user namespace with a host cgroup namespace joined by path, exec" {
	mkfifo "$WORK/holder"
	unshare --cgroup sh -c 'echo up; exec sleep 1000' >"$WORK/holder" &
	HOLDER=$!
	wait_fifo "$WORK/holder" >/dev/null
	new_userns_config
	update_config --arg c "/proc/$HOLDER/ns/cgroup" '.linux.namespaces |= map(select(.type != "cgroup"))
		| .linux.namespaces += [{type: "cgroup", path: $c}]'
	run_waiting "$ID"
	local cg
	cg=$(readlink "/proc/$HOLDER/ns/cgroup")
	[ "$(readlink "/proc/$CPID/ns/cgroup")" = "$cg" ] || fail "cgroupns: $(readlink "/proc/$CPID/ns/cgroup")"
	[ "$(host_uid "$CPID")" = 100000 ] || fail "host uid: $(host_uid "$CPID")"
	run al exec "$ID" sh -c 'id -u; readlink /proc/self/ns/cgroup'
	assert_success
	[ "${lines[0]}" = 0 ] || fail "exec id -u: $output"
	[ "${lines[1]}" = "$cg" ] || fail "exec cgroupns: $output"
	echo go >"$BUNDLE/rootfs/go"
}
