#!/usr/bin/env bats
# User namespaces joined by path (Kubernetes hostUsers: false pods): the
# container joins a user namespace made beforehand and gets new pid, mount,
# uts, ipc and network namespaces owned by it.

load helpers

HOLDER=

teardown() {
	[ -z "$HOLDER" ] || { kill -9 "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null; } || true
	al_teardown
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

@test "user namespace joined by path refuses linux.uidMappings" {
	make_userns
	join_userns_config
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	run al run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "linux.uidMappings: must be absent when the user namespace is joined by path"
}
