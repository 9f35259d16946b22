#!/usr/bin/env bats
# CRI security settings through containerd 1.6.20's CRI plugin with
# runtime_handler $HANDLER (issue 12): users (run_as_user, run_as_username,
# the image's USER, run_as_group, supplemental groups), a read-only rootfs,
# privileged containers, sysctls, seccomp (RuntimeDefault, Localhost,
# Unconfined) and AppArmor (absent on this host). Run with
# RUNTIME=io.containerd.runc.v2 too, to compare with containerd's runc shim;
# where the two legitimately differ the test asserts each one's behaviour
# (README, "CRI validation").
#
# Checks read the container's init through /proc/1/status (its pid namespace
# is its own) from an ExecSync, and effects through ExecSync (an exec gets the
# init's user and seccomp filter) of integration/hostile/attempt.c.

SHIM_NEED_CRI=1
load helpers

USER_IMAGE=localhost/airlock/busybox-user:test
UID_IMAGE=localhost/airlock/busybox-uid:test

# A fake CNI plugin (also `loopback`): ADD answers an eth0 with an address
# without touching the network namespace containerd made for the pod, which
# is all a pod network (--pod-network) needs here.
write_fake_cni() {
	local p
	for p in fakecni loopback; do
		cat >"$CTD_DIR/cni/bin/$p" <<-'EOF'
		#!/bin/sh
		cat >/dev/null
		case $CNI_COMMAND in
		ADD)
			printf '{"cniVersion":"0.4.0","interfaces":[{"name":"%s","sandbox":"%s"}],"ips":[{"version":"4","address":"10.88.77.2/24","interface":0}]}\n' "$CNI_IFNAME" "$CNI_NETNS"
			;;
		VERSION)
			echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}'
			;;
		esac
		exit 0
		EOF
		chmod 0755 "$CTD_DIR/cni/bin/$p"
	done
	echo '{"cniVersion":"0.4.0","name":"fake","type":"fakecni"}' >"$CTD_DIR/cni/conf/10-fake.conf"
}

setup_file() {
	shim_setup_file || return 1
	local t
	for t in busybox-user:$USER_IMAGE busybox-uid:$UID_IMAGE; do
		C_NS=k8s.io c image import "$(image_tar "${t%%:*}" "${t#*:}")" >/dev/null || return 1
	done
	mkdir -p "$CTD_DIR/bin"
	gcc -static -O2 -Wall -Wextra -Werror -o "$CTD_DIR/bin/attempt" \
		"$BATS_TEST_DIRNAME/../hostile/attempt.c" || return 1
	# CNI config is read at start: restart containerd with it.
	write_fake_cni
	ctd_restart
}

# run_pod [run-pod options]: sets $POD and $W (pod.json, logs/).
run_pod() {
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	POD=$(cri run-pod --name "p-$CID" --handler "$HANDLER" --log-dir "$W/logs" \
		--save "$W/pod.json" "$@")
	[ -n "$POD" ]
}

# create_ctr NAME [--image IMG] [create options] -- CMD...: sets $CTR.
create_ctr() {
	local name=$1 image=$IMAGE
	shift
	if [ "$1" = --image ]; then
		image=$2
		shift 2
	fi
	CTR=$(cri create --pod "$POD" --pod-config "$W/pod.json" --name "$name" \
		--image "$image" --log-path "$name.log" \
		--mount "$CTD_DIR/bin/attempt:/hostile/attempt:ro" "$@")
	[ -n "$CTR" ]
}

# start_ctr NAME [options]: a running `sleep 1000` container, $CTR.
start_ctr() {
	create_ctr "$@" -- sleep 1000
	cri start "$CTR"
}

# Security context JSON for --linux.
sc() {
	echo "{\"security_context\": $1}"
}

# A field of the container init's /proc/1/status.
init_status() {
	cri exec-sync "$CTR" -- sh -c "sed -n 's/^$1:[[:space:]]*//p' /proc/1/status" | tr -s ' \t' ' '
}

# The init's HOME (from /proc/1/environ) and an exec's, on one line each.
homes() {
	cri exec-sync "$CTR" -- sh -c 'tr "\0" "\n" </proc/1/environ | sed -n "s/^HOME=//p"; echo "$HOME"'
}

done_pod() {
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}

# ---- users -------------------------------------------------------------

@test "cri security: run_as_user, run_as_group and supplemental_groups" {
	run_pod
	start_ctr c --linux "$(sc '{"run_as_user": {"value": 1000}, "run_as_group": {"value": 3000},
		"supplemental_groups": [4000, 4001]}')"
	run init_status Uid
	assert_output "1000 1000 1000 1000"
	run init_status Gid
	assert_output "3000 3000 3000 3000"
	run init_status Groups
	assert_output_contains 4000
	assert_output_contains 4001
	# The exec too.
	run cri exec-sync "$CTR" -- id -u
	assert_output 1000
	run cri exec-sync "$CTR" -- id -G
	assert_output_contains "3000"
	assert_output_contains "4001"
	# No HOME in the env and no passwd entry for 1000: HOME is / (as runc).
	run homes
	assert_output "$(printf '/\n/')"
	done_pod
}

@test "cri security: run_as_username resolves through the image's /etc/passwd" {
	run_pod
	start_ctr c --linux "$(sc '{"run_as_username": "nobody"}')"
	run init_status Uid
	assert_output "65534 65534 65534 65534"
	run init_status Gid
	assert_output "65534 65534 65534 65534"
	# HOME from /etc/passwd (the env has none).
	run homes
	assert_output "$(printf '/nonexistent\n/nonexistent')"
	done_pod
}

# containerd 1.6 gives the image's USER only its primary group (not `extra`,
# of which /etc/group makes it a member).
@test "cri security: the image's USER by name" {
	run_pod
	start_ctr c --image "$USER_IMAGE"
	run init_status Uid
	assert_output "1234 1234 1234 1234"
	run init_status Gid
	assert_output "1234 1234 1234 1234"
	run init_status Groups
	assert_output "1234 "
	run homes
	assert_output "$(printf '/home/app\n/home/app')"
	# run_as_user overrides the image's USER.
	start_ctr d --image "$USER_IMAGE" --linux "$(sc '{"run_as_user": {"value": 0}}')"
	run init_status Uid
	assert_output "0 0 0 0"
	run homes
	assert_output "$(printf '/root\n/root')"
	# A HOME in the env is kept.
	start_ctr e --image "$USER_IMAGE" --env HOME=/mine
	run homes
	assert_output "$(printf '/mine\n/mine')"
	done_pod
}

@test "cri security: the image's USER by uid:gid, unknown to /etc/passwd" {
	run_pod
	start_ctr c --image "$UID_IMAGE"
	run init_status Uid
	assert_output "4321 4321 4321 4321"
	run init_status Gid
	assert_output "2345 2345 2345 2345"
	done_pod
}

@test "cri security: a run_as_username the image does not know is refused" {
	run_pod
	run cri create --pod "$POD" --pod-config "$W/pod.json" --name c --image "$IMAGE" \
		--linux "$(sc '{"run_as_username": "nosuchuser"}')" -- sleep 1000
	assert_failure
	assert_output_contains "no users found"
	done_pod
}

# The pod's own security context is the sandbox's (the pause container), seen
# from the host.
@test "cri security: the pod's security context applies to its sandbox" {
	run_pod --linux "$(sc '{"run_as_user": {"value": 65534}, "run_as_group": {"value": 65534},
		"readonly_rootfs": true, "seccomp": {"profile_type": "RuntimeDefault"}}')"
	local pid
	pid=$(task_pid "$POD" k8s.io)
	[ -n "$pid" ] && [ "$pid" != 0 ] || fail "no sandbox pid"
	[ "$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$pid/status" | tr -s ' \t' ' ')" = "65534 65534 65534 65534" ] \
		|| fail "sandbox: $(grep -E '^(Uid|Gid)' "/proc/$pid/status")"
	[ "$(sed -n 's/^Gid:[[:space:]]*//p' "/proc/$pid/status" | cut -f1)" = 65534 ]
	[ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$pid/status")" = 2 ]
	awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo" | grep -q '^ro' \
		|| fail "sandbox rootfs: $(awk '$5 == "/"' "/proc/$pid/mountinfo")"
	done_pod
}

# ---- capabilities, no_new_privs, masked and read-only paths ----------------

# Capability bits (CAP_CHOWN 0, CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21) of a
# field of the init's status.
cap_has() {
	local v
	v=$(init_status "$1")
	[ $(((0x$v >> $2) & 1)) = 1 ]
}

@test "cri security: capabilities add and drop; a non-root user has none effective" {
	run_pod
	start_ctr c --linux "$(sc '{"capabilities": {"add_capabilities": ["SYS_ADMIN"], "drop_capabilities": ["CHOWN"]}}')"
	cap_has CapEff 21 || fail "no CAP_SYS_ADMIN: $(init_status CapEff)"
	! cap_has CapEff 0 || fail "CAP_CHOWN not dropped: $(init_status CapEff)"
	cap_has CapBnd 21
	! cap_has CapBnd 0
	# The exec has the same.
	run cri exec-sync "$CTR" -- sh -c "sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status"
	assert_output "$(init_status CapEff)"
	# Dropping ALL leaves none, not even in the bounding set.
	start_ctr d --linux "$(sc '{"capabilities": {"drop_capabilities": ["ALL"]}}')"
	run init_status CapBnd
	assert_output 0000000000000000
	# A non-root user keeps the bounding set (NET_ADMIN added) but has no
	# effective or permitted capability.
	start_ctr e --linux "$(sc '{"run_as_user": {"value": 1000}, "capabilities": {"add_capabilities": ["NET_ADMIN"]}}')"
	cap_has CapBnd 12
	run init_status CapEff
	assert_output 0000000000000000
	run init_status CapPrm
	assert_output 0000000000000000
	done_pod
}

@test "cri security: no_new_privs, masked_paths and readonly_paths" {
	run_pod
	start_ctr c --linux "$(sc '{"no_new_privs": true, "masked_paths": ["/etc/hostname"], "readonly_paths": ["/tmp"]}')"
	run init_status NoNewPrivs
	assert_output 1
	run cri exec-sync "$CTR" -- sh -c "sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/self/status"
	assert_output 1
	run cri exec-sync "$CTR" -- cat /etc/hostname
	assert_success
	assert_output ""
	run cri exec-sync "$CTR" -- touch /tmp/x
	assert_failure
	assert_output_contains "Read-only file system"
	start_ctr d
	run init_status NoNewPrivs
	assert_output 0
	# containerd 1.6 masks and makes read-only exactly what CRI lists (the
	# kubelet sends its defaults): none here, /tmp is writable.
	run cri exec-sync "$CTR" -- sh -c 'touch /tmp/x && echo ok'
	assert_output ok
	done_pod
}

# The default /dev of an unprivileged container; /dev/core only where the
# kernel has /proc/kcore (this host's has not).
@test "cri security: the default /dev" {
	run_pod
	start_ctr c
	run cri exec-sync "$CTR" -- sh -c 'ls -A /dev | sort | tr "\n" " "'
	assert_success
	local want="fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
	[ -e /proc/kcore ] && want="core $want"
	assert_output "$want"
	done_pod
}

# A legitimate difference: on this cgroup v1/v2 hybrid host runc's shim
# mounts the host's v1 hierarchies (read-only, on a tmpfs) in the container,
# airlock's the cgroup2 tree, the only one it uses (README, "cgroups").
@test "cri security: /sys/fs/cgroup in the container (differs: v1 with runc, cgroup2 with airlock)" {
	run_pod
	start_ctr c
	run cri exec-sync "$CTR" -- sh -c "awk '\$5 ~ \"^/sys/fs/cgroup\" { for (i = 7; \$i != \"-\"; i++); print \$5, \$(i + 1), \$6 }' /proc/1/mountinfo"
	assert_success
	if is_airlock_shim; then
		assert_output "/sys/fs/cgroup cgroup2 ro,nosuid,nodev,noexec,relatime"
	else
		assert_output_contains "/sys/fs/cgroup tmpfs"
		assert_output_contains "/sys/fs/cgroup/memory cgroup ro,"
	fi
	done_pod
}

# ---- read-only rootfs ------------------------------------------------------

@test "cri security: readonly_rootfs makes / read-only, mounts stay writable" {
	run_pod
	start_ctr c --linux "$(sc '{"readonly_rootfs": true}')" --mount "$W/logs:/data"
	run cri exec-sync "$CTR" -- sh -c 'touch /etc/x'
	assert_failure
	assert_output_contains "Read-only file system"
	run cri exec-sync "$CTR" -- sh -c 'touch /data/x && echo ok'
	assert_success
	assert_output ok
	run cri exec-sync "$CTR" -- sh -c "awk '\$5 == \"/\" { print \$6 }' /proc/1/mountinfo"
	assert_output_contains ro
	# Without it, / is writable.
	start_ctr d
	run cri exec-sync "$CTR" -- sh -c 'touch /etc/x && echo ok'
	assert_success
	assert_output ok
	done_pod
}

# ---- privileged ------------------------------------------------------------

@test "cri security: privileged: every capability, host devices, no seccomp, writable /sys" {
	local all
	all=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
	run_pod --linux "$(sc '{"privileged": true}')"
	start_ctr c --linux "$(sc '{"privileged": true, "seccomp": {"profile_type": "RuntimeDefault"}}')"
	run init_status CapEff
	assert_output "$all"
	run init_status CapBnd
	assert_output "$all"
	run init_status Seccomp
	assert_output 0
	run init_status NoNewPrivs
	assert_output 0
	# The exec too.
	run cri exec-sync "$CTR" -- sh -c "sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status"
	assert_output "$all"
	# A host device (not in the default set) is there and can be read.
	run cri exec-sync "$CTR" -- sh -c '[ -c /dev/kmsg ] && dd if=/dev/kmsg of=/dev/null bs=8192 count=1 2>&1'
	assert_success
	run cri exec-sync "$CTR" -- sh -c "awk '\$5 == \"/sys\" { print \$6 }' /proc/1/mountinfo"
	assert_output_contains rw
	# An unprivileged container of the same pod has none of it.
	start_ctr d --linux "$(sc '{"seccomp": {"profile_type": "RuntimeDefault"}}')"
	run init_status CapEff
	[ "$output" != "$all" ] || fail "unprivileged container has every capability: $output"
	run init_status Seccomp
	assert_output 2
	run cri exec-sync "$CTR" -- sh -c '[ -e /dev/kmsg ]'
	assert_failure
	run cri exec-sync "$CTR" -- sh -c "awk '\$5 == \"/sys\" { print \$6 }' /proc/1/mountinfo"
	assert_output_contains ro
	done_pod
}

@test "cri security: a privileged container needs a privileged pod" {
	run_pod
	run cri create --pod "$POD" --pod-config "$W/pod.json" --name c --image "$IMAGE" \
		--linux "$(sc '{"privileged": true}')" -- sleep 1000
	assert_failure
	assert_output_contains "privileged"
	done_pod
}

# ---- sysctls ---------------------------------------------------------------

@test "cri security: namespaced sysctls are applied in the pod's own namespaces" {
	run_pod --pod-network --sysctl "net.ipv4.ip_local_port_range=20000 40000" \
		--sysctl kernel.shm_rmid_forced=1
	start_ctr c
	run cri exec-sync "$CTR" -- cat /proc/sys/net/ipv4/ip_local_port_range
	assert_success
	[ "$(echo "$output" | tr -s ' \t' ' ')" = "20000 40000" ] || fail "port range: $output"
	run cri exec-sync "$CTR" -- cat /proc/sys/kernel/shm_rmid_forced
	assert_output 1
	# The host's are untouched.
	[ "$(tr -s ' \t' ' ' </proc/sys/net/ipv4/ip_local_port_range)" != "20000 40000" ] \
		|| [ "$(cat /proc/sys/kernel/shm_rmid_forced)" != 1 ] \
		|| fail "the host has the pod's sysctls"
	done_pod
}

# The values asked for are the host's own, so that a runtime that wrongly
# writes them leaves the host as it was.
@test "cri security: a net sysctl in a host-network pod is refused" {
	local v
	v=$(tr -s ' \t' ' ' </proc/sys/net/ipv4/ip_local_port_range)
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	run cri run-pod --name "p-$CID" --handler "$HANDLER" --log-dir "$W/logs" \
		--sysctl "net.ipv4.ip_local_port_range=$v"
	assert_failure
	assert_output_contains net.ipv4.ip_local_port_range
	if is_airlock_shim; then
		assert_output_contains "linux.sysctl"
	fi
}

@test "cri security: a sysctl of no namespace is refused" {
	local v
	v=$(cat /proc/sys/kernel/pid_max)
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	run cri run-pod --name "p-$CID" --handler "$HANDLER" --log-dir "$W/logs" --pod-network \
		--sysctl "kernel.pid_max=$v"
	assert_failure
	assert_output_contains kernel.pid_max
	if is_airlock_shim; then
		assert_output_contains "linux.sysctl"
	fi
}

# ---- seccomp -----------------------------------------------------------------

@test "cri security: seccomp RuntimeDefault denies keyctl and unshare, Unconfined does not" {
	run_pod
	start_ctr def --linux "$(sc '{"seccomp": {"profile_type": "RuntimeDefault"}}')"
	run init_status Seccomp
	assert_output 2
	run cri exec-sync "$CTR" -- /hostile/attempt keyctl unshare
	assert_success
	assert_output_contains "keyctl: blocked: Operation not permitted"
	assert_output_contains "unshare: blocked: Operation not permitted"

	start_ctr unc --linux "$(sc '{"seccomp": {"profile_type": "Unconfined"}}')"
	run init_status Seccomp
	assert_output 0
	run cri exec-sync "$CTR" -- /hostile/attempt keyctl
	assert_failure
	assert_output_contains "keyctl: ESCAPED"
	run cri exec-sync "$CTR" -- /hostile/attempt unshare
	assert_failure
	assert_output_contains "unshare: ESCAPED"

	# No seccomp setting at all: containerd 1.6 asks for none.
	start_ctr none
	run init_status Seccomp
	assert_output 0
	done_pod
}

@test "cri security: seccomp Localhost loads the profile file" {
	run_pod
	cat >"$W/profile.json" <<-'EOF'
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
	EOF
	start_ctr c --linux "$(sc "{\"seccomp\": {\"profile_type\": \"Localhost\", \"localhost_ref\": \"$W/profile.json\"}}")"
	run init_status Seccomp
	assert_output 2
	run cri exec-sync "$CTR" -- mkdir /tmp/d
	assert_failure
	assert_output_contains "Permission denied"
	# Everything else is allowed, keyctl too.
	run cri exec-sync "$CTR" -- /hostile/attempt keyctl
	assert_output_contains "keyctl: ESCAPED"
	# A profile file that is not there.
	run cri create --pod "$POD" --pod-config "$W/pod.json" --name d --image "$IMAGE" \
		--linux "$(sc "{\"seccomp\": {\"profile_type\": \"Localhost\", \"localhost_ref\": \"$W/none.json\"}}")" \
		-- sleep 1000
	assert_failure
	assert_output_contains none.json
	done_pod
}

# ---- AppArmor (not on this host) -------------------------------------------

@test "cri security: AppArmor is not on this host: containerd refuses any profile but Unconfined" {
	[ ! -e /sys/module/apparmor/parameters/enabled ] || skip "AppArmor is on this host"
	run_pod
	local t
	for t in Localhost RuntimeDefault; do
		run cri create --pod "$POD" --pod-config "$W/pod.json" --name "c-$t" --image "$IMAGE" \
			--linux "$(sc "{\"apparmor\": {\"profile_type\": \"$t\", \"localhost_ref\": \"$([ $t = Localhost ] && echo myprofile)\"}}")" \
			-- sleep 1000
		assert_failure
		assert_output_contains "apparmor is not supported"
	done
	start_ctr d --linux "$(sc '{"apparmor": {"profile_type": "Unconfined"}}')"
	run cri exec-sync "$CTR" -- echo ok
	assert_output ok
	done_pod
}

# containerd's CRI plugin never hands a profile to a shim on this host; ctr
# does (process.apparmorProfile in the spec). Both refuse it: runc when its
# write to /proc/self/attr/exec fails (EINVAL), airlock before it creates
# anything, saying why.
@test "cri security: AppArmor is not on this host: a spec with an apparmorProfile is refused" {
	[ ! -e /sys/module/apparmor/parameters/enabled ] || skip "AppArmor is on this host"
	run c run --rm --runtime "$RUNTIME" --cpu-shares 0 --apparmor-profile myprofile \
		"$IMAGE" "$CID" echo ran
	assert_failure
	if is_airlock_shim; then
		assert_output_contains 'process.apparmorProfile "myprofile": AppArmor is not enabled on this host'
	else
		assert_output_contains "unable to apply apparmor profile"
	fi
	c container rm "$CID" 2>/dev/null || true
}
