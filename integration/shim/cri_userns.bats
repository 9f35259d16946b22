#!/usr/bin/env bats
# A user namespace for every untrusted-pod pod, through containerd 1.6.20's
# CRI (issue 13; shim/podns.c): containerd 1.6 knows nothing of user
# namespaces, so the shim gives the sandbox a host id range of the
# profile's pool taken for the pod alone, every container of the pod joins
# it, and the rootfs and the CRI's files are idmapped. As the attacker:
# container root must be an unprivileged host uid of its own pod's range,
# two pods never share one, what it writes to a host dir lands with those
# ids, and nothing (slot, mounts, processes) is left after the pods go.
# Airlock only: runc's shim has no profiles.

SHIM_NEED_CRI=1
# A real pod network (bridge, host-local): the sandbox joins containerd's
# CNI netns, which belongs to the host's user namespace.
CRI_CNI=1
load helpers

export AIRLOCK_PROFILES_DIR=$SHIM_TOP/specs/profiles

CTD_AIRLOCK_EXTRA='      pod_annotations = ["airlock.*"]
      container_annotations = ["airlock.*"]'

POOL_DIR=/run/airlock-ids
POOL_START=1879048192 # untrusted-pod.json: 0x70000000, slots of 65536
POOL_SLOTS=4094

setup_file() { shim_setup_file; }
teardown_file() { shim_teardown_file; }

setup() {
	CID=$(echo "t${CTD_DIR##*.}-$BATS_TEST_NUMBER" | tr 'A-Z' 'a-z')
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME): profiles are airlock's"
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	PODS=()
}

teardown() {
	local p
	for p in "${PODS[@]}"; do
		cri stop-pod "$p" >/dev/null 2>&1 || true
		cri rm-pod "$p" >/dev/null 2>&1 || true
	done
	shim_teardown
}

# new_pod NAME [run-pod options]: an untrusted-pod pod; its id in $POD, its
# config in $W/NAME.json.
new_pod() {
	local name=$1
	shift
	POD=$(cri run-pod --name "$name-$CID" --log-dir "$W/logs" --save "$W/$name.json" \
		--handler airlock --annotation airlock.profile=untrusted-pod "$@")
	[ -n "$POD" ] || return 1
	PODS+=("$POD")
}

# new_ctr POD NAME [--mount H:C]... -- CMD...: a started container; id in $CTR.
new_ctr() {
	local pod=$1 name=$2
	shift 2
	: >"$W/$name.termination-log"
	CTR=$(cri create --pod "$pod" --pod-config "$W/${name%%-*}.json" --name "$name" \
		--image "$IMAGE" --log-path "$name.log" \
		--mount "$W/$name.termination-log:/dev/termination-log" "$@")
	[ -n "$CTR" ] || return 1
	cri start "$CTR"
}

wait_running() { wait_ctr_state "$1" CONTAINER_RUNNING; }
wait_exited() { wait_ctr_state "$1" CONTAINER_EXITED; }

# The first host uid of a process's user namespace ("0 FIRST SIZE").
map_first() {
	local line
	line=$(tr -s ' ' <"/proc/$1/uid_map" | sed 's/^ //')
	set -- $line
	[ "$1" = 0 ] && [ "$3" = 65536 ] || { echo "bad map: $line" >&2; return 1; }
	echo "$2"
}

host_uid() { sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }

@test "cri userns: two untrusted-pod pods get disjoint host ranges; container root is uid 0 inside, a host uid of its pod's range outside" {
	local firsts=() p
	for p in a b; do
		new_pod "$p"
		local spid
		spid=$(task_pid "$POD" k8s.io)
		new_ctr "$POD" "$p-c" -- sleep 100
		wait_running "$CTR"
		local cpid
		cpid=$(task_pid "$CTR" k8s.io)
		# Every container of the pod is in the sandbox's user namespace.
		[ "$(readlink "/proc/$cpid/ns/user")" = "$(readlink "/proc/$spid/ns/user")" ] \
			|| fail "pod $p: container in $(readlink "/proc/$cpid/ns/user"), sandbox in $(readlink "/proc/$spid/ns/user")"
		[ "$(readlink "/proc/$cpid/ns/user")" != "$(readlink /proc/self/ns/user)" ] || fail "pod $p: the host's user namespace"
		local first
		first=$(map_first "$cpid")
		[ "$first" -ge "$POOL_START" ] && [ "$first" -lt $((POOL_START + POOL_SLOTS * 65536)) ] \
			&& [ $(((first - POOL_START) % 65536)) = 0 ] || fail "pod $p: range at $first, not a slot of the pool"
		# The slot is recorded in the pool, for this pod's bundle.
		[ -f "$POOL_DIR/$first-$((first + 65535))" ] || fail "pod $p: no slot file $POOL_DIR/$first-$((first + 65535))"
		grep -q "\"$POD\"" "$POOL_DIR/$first-$((first + 65535))" || fail "pod $p: slot not the pod's: $(cat "$POOL_DIR/$first-$((first + 65535))")"
		[ "$(host_uid "$cpid")" = "$first" ] || fail "pod $p: container root is host uid $(host_uid "$cpid"), range at $first"
		[ "$(host_uid "$spid")" = "$first" ] || fail "pod $p: sandbox root is host uid $(host_uid "$spid")"
		run cri exec-sync "$CTR" -- id -u
		assert_success
		[ "$output" = 0 ] || fail "pod $p: id -u inside: $output"
		firsts+=("$first")
	done
	[ "${firsts[0]}" != "${firsts[1]}" ] || fail "both pods got the range at ${firsts[0]}"
}

@test "cri userns: a pod network (CNI netns, the host's user namespace's) with the pod's user namespace: eth0 inside, exec" {
	new_pod a --pod-network
	local spid
	spid=$(task_pid "$POD" k8s.io)
	new_ctr "$POD" a-c -- sleep 100
	wait_running "$CTR"
	local cpid netns
	cpid=$(task_pid "$CTR" k8s.io)
	# containerd's pinned netns for the pod, joined by both.
	netns=$(jq -r '.linux.namespaces[] | select(.type == "network") | .path' "$(bundle_of "$POD" k8s.io)/config.json")
	[ -n "$netns" ] && [ "$netns" != null ] || fail "the sandbox's config joins no netns"
	[ "$(readlink "/proc/$spid/ns/net")" = "net:[$(stat -L -c %i "$netns")]" ] || fail "sandbox not in $netns"
	[ "$(readlink "/proc/$cpid/ns/net")" = "$(readlink "/proc/$spid/ns/net")" ] || fail "container not in the pod's netns"
	[ "$(readlink "/proc/$cpid/ns/user")" = "$(readlink "/proc/$spid/ns/user")" ] || fail "container not in the pod's userns"
	[ "$(readlink "/proc/$spid/ns/user")" != "$(readlink /proc/self/ns/user)" ] || fail "the sandbox has the host's userns"
	run cri exec-sync "$CTR" -- sh -c 'id -u; cat /sys/class/net/eth0/address >/dev/null && echo eth0'
	assert_success
	[ "$output" = "$(printf '0\neth0')" ] || fail "inside: $output"
	# Nor can it reconfigure it (no netlink under the profile, no capability
	# over a netns of the host user namespace).
	run cri exec-sync "$CTR" -- ip link set eth0 down
	assert_failure
}

@test "cri userns: the rootfs and the CRI's files are root's inside; an emptyDir-like host dir gets the pod's host ids" {
	local vol=$W/vol
	mkdir -p "$vol"
	chmod 0777 "$vol"
	new_pod a
	new_ctr "$POD" a-c --mount "$vol:/data" -- sleep 100
	wait_running "$CTR"
	local cpid first
	cpid=$(task_pid "$CTR" k8s.io)
	first=$(map_first "$cpid")
	# Image files (host root's on disk) and the CRI's files show as root's.
	run cri exec-sync "$CTR" -- stat -c '%u:%g %n' /bin/busybox /etc/hosts /etc/resolv.conf /etc/hostname /dev/termination-log
	assert_success
	local l
	while read -r l; do
		[ "${l%% *}" = 0:0 ] || fail "owned by ${l%% *} inside, wanted 0:0: $l (all: $output)"
	done <<<"$output"
	# The host files themselves are untouched (still host root's).
	[ "$(stat -c %u "$W/a-c.termination-log")" = 0 ] || fail "termination log chowned on the host"
	# Written through a plain bind: the pod's host ids.
	run cri exec-sync "$CTR" -- sh -c 'echo x >/data/f && mkdir /data/d && stat -c %u:%g /data/f'
	assert_success
	[ "$output" = 0:0 ] || fail "inside: $output"
	[ "$(stat -c %u:%g "$vol/f")" = "$first:$first" ] || fail "on the host: $(stat -c %u:%g "$vol/f"), wanted $first:$first"
	[ "$(stat -c %u "$vol/d")" = "$first" ] || fail "dir on the host: $(stat -c %u "$vol/d")"
	# The idmapped CRI files are read-only: the container cannot write the
	# host's file as host root through the mapping.
	run cri exec-sync "$CTR" -- sh -c 'echo pwned >/etc/hosts'
	assert_failure
	local hosts
	hosts=$(find "$CTD_DIR" -path "*/sandboxes/$POD/hosts" | head -1)
	[ -n "$hosts" ] || fail "the pod's hosts file not found under $CTD_DIR"
	! grep -q pwned "$hosts" || fail "$hosts written through the idmapped mount"
	[ "$(stat -c %u "$hosts")" = 0 ] || fail "$hosts chowned"
}

@test "cri userns: the verdict reaches the termination message, the container's exit code too" {
	new_pod a
	new_ctr "$POD" a-c -- sh -c 'echo hi; unshare -U true; mount -t tmpfs none /mnt; exit 3'
	wait_exited "$CTR"
	run cri inspect "$CTR"
	[ "$(jq -r .status.exit_code <<<"$output")" = 3 ] || fail "$output"
	local v
	v=$(cat "$W/a-c.termination-log")
	[ -n "$v" ] || fail "empty termination message"
	[ "$(jq -r .profile <<<"$v")" = untrusted-pod ] || fail "$v"
	[ "$(jq -r .exit_code <<<"$v")" = 3 ] || fail "$v"
	[ "$(jq -r '.denied_syscalls[] | select(.name == "mount") | .count' <<<"$v")" = 1 ] || fail "$v"
}

@test "cri userns: nothing is left after the pods are removed: slots back in the pool, no mounts, no processes" {
	new_pod a
	local pod=$POD spid first bundle
	spid=$(task_pid "$POD" k8s.io)
	new_ctr "$POD" a-c -- sleep 100
	wait_running "$CTR"
	first=$(map_first "$spid")
	bundle=$(bundle_of "$POD" k8s.io)
	[ -f "$POOL_DIR/$first-$((first + 65535))" ] || fail "no slot file"
	cri stop-pod "$pod"
	cri rm-pod "$pod"
	PODS=()
	[ ! -e "$POOL_DIR/$first-$((first + 65535))" ] || fail "slot $first still taken: $(cat "$POOL_DIR/$first-$((first + 65535))")"
	! grep -q "$pod" /proc/self/mountinfo || fail "mounts left: $(grep "$pod" /proc/self/mountinfo)"
	! kill -0 "$spid" 2>/dev/null || fail "sandbox process $spid still there"
	local pid
	for pid in /proc/[0-9]*; do
		[ "$(host_uid "${pid#/proc/}" 2>/dev/null)" != "$first" ] || fail "process ${pid#/proc/} still runs as $first"
	done
	[ ! -e "$bundle" ] || [ ! -e "$bundle/ids" ] || fail "the slot record is still in $bundle"
}
