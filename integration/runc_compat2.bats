#!/usr/bin/env bats
# Behaviour clients of runc depend on (podman, runc's own integration
# tests): bind sources a user namespace cannot reach, exec's permission
# check, the config leniency runc has, `spec` defaults and --debug.

load helpers

SHARED_MNT=

teardown() {
	podman_cleanup
	if [ -n "$SHARED_MNT" ]; then
		umount -R "$SHARED_MNT" 2>/dev/null || true
	fi
	al_teardown
}

userns_config() {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "bind source below a 0700 root directory works in a container with a new user namespace" {
	userns_config
	# Host root may traverse $WORK/private; the container's root (host
	# 100000) may not: the runtime opens the source before the user namespace.
	mkdir -p "$WORK/private/vol" "$BUNDLE/rootfs/vol" "$BUNDLE/rootfs/priv"
	chmod 0700 "$WORK/private"
	chmod 0755 "$WORK/private/vol"
	echo data >"$WORK/private/vol/f"
	chmod 0644 "$WORK/private/vol/f"
	update_config --arg s "$WORK/private/vol" --arg p "$WORK/private" '.mounts += [
		{destination: "/vol", type: "bind", source: $s, options: ["rbind", "ro"]},
		{destination: "/priv", type: "bind", source: $p, options: ["bind"]}]'
	run_sh 'cat /vol/f; grep " /vol " /proc/self/mountinfo | grep -c " ro,"; ls /priv 2>&1 | grep -c "Permission denied"'
	assert_success
	[ "${lines[0]}" = data ] || fail "content: $output"
	[ "${lines[1]}" = 1 ] || fail "ro option not applied: $output"
	# The 0700 directory itself is bound, and still closed to the container's root.
	[ "${lines[2]}" = 1 ] || fail "/priv readable: $output"
}

@test "bind source below a 0700 directory in a joined user namespace" {
	mkfifo "$WORK/holder"
	unshare --user sh -c 'echo up; exec sleep 1000' >"$WORK/holder" &
	local holder=$!
	wait_fifo "$WORK/holder" >/dev/null
	echo "0 100000 65536" >"/proc/$holder/uid_map"
	echo "0 100000 65536" >"/proc/$holder/gid_map"
	update_config --arg p "/proc/$holder/ns/user" '
		.linux.namespaces = [{type: "user", path: $p}, {type: "pid"}, {type: "mount"}, {type: "uts"}, {type: "ipc"}, {type: "network"}]
		| del(.linux.uidMappings) | del(.linux.gidMappings)'
	mkdir -p "$WORK/private/vol" "$BUNDLE/rootfs/vol"
	chmod 0700 "$WORK/private"
	echo data >"$WORK/private/vol/f"
	update_config --arg s "$WORK/private/vol" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["bind"]}]'
	run_sh 'cat /vol/f'
	kill -9 "$holder"
	wait "$holder" 2>/dev/null || true
	assert_success
	assert_output data
}

@test "bind source that does not exist, with a user namespace: the error names mounts[i].source" {
	userns_config
	update_config --arg s "$WORK/nope" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["bind"]}]'
	local i
	i=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
	run_sh true
	assert_failure
	assert_airlock_output_contains "mounts[$i].source \"$WORK/nope\""
}

@test "bind source cloned before the user namespace stays private: a mount on it inside does not reach the host" {
	userns_config
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	mkdir -p "$WORK/vol/sub" "$BUNDLE/rootfs/vol"
	chmod -R 0777 "$WORK/vol"
	# A shared mount on the host: a clone that kept its peer group would
	# propagate the container's mount back here.
	mount --bind "$WORK/vol" "$WORK/vol"
	mount --make-shared "$WORK/vol"
	SHARED_MNT=$WORK/vol
	update_config --arg s "$WORK/vol" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind"]}]'
	run_sh 'mount -t tmpfs none /vol/sub && grep -c " /vol/sub " /proc/self/mountinfo'
	assert_success
	assert_output 1
	! grep -F "$WORK/vol/sub" /proc/self/mountinfo || fail "the container's mount reached the host"
}

@test "bind sources cloned for a user namespace keep the kernel's locks: the mounts below cannot be undone inside" {
	userns_config
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	mkdir -p "$WORK/m/sub" "$BUNDLE/rootfs/m"
	echo under >"$WORK/m/sub/under"
	chmod -R a+rX "$WORK/m"
	mount -t tmpfs -o size=1m,mode=0755 tmpfs "$WORK/m/sub"
	SHARED_MNT=$WORK/m/sub
	echo over >"$WORK/m/sub/over"
	update_config --arg s "$WORK/m" '.mounts += [{destination: "/m", type: "bind", source: $s, options: ["rbind"]}]'
	run_sh 'umount /m/sub 2>/dev/null || umount -l /m/sub 2>/dev/null || echo locked; ls /m/sub'
	assert_success
	assert_output_contains locked
	assert_output_contains over
	refute_output_contains under
	# A plain bind of it would show what the mount hides: the kernel refuses.
	update_config '.mounts[-1].options = ["bind"]'
	run_sh 'ls /m/sub'
	assert_failure
	refute_output_contains under
}

# /x/echo: busybox's echo, mode 0100, owned by $1 (a copy: bin/ is hard links).
exec_only_echo() {
	mkdir -p "$BUNDLE/rootfs/x"
	cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/x/echo"
	chown "$1:$1" "$BUNDLE/rootfs/x/echo"
	chmod 0100 "$BUNDLE/rootfs/x/echo"
}

@test "exec check follows execve: a non-root user with CAP_DAC_OVERRIDE runs a 0100 file of another owner" {
	exec_only_echo 0
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities |= with_entries(.value += ["CAP_DAC_OVERRIDE"])
		| .process.noNewPrivileges = true'
	set_args /x/echo hi
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output hi
	# Found through PATH too.
	update_config '.process.env = ["PATH=/nope:/x"]'
	set_args echo hi
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output hi
	# Without the capability execve refuses, and so does the check.
	update_config '.process.capabilities |= with_entries(.value -= ["CAP_DAC_OVERRIDE"])'
	set_args /x/echo hi
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_airlock_output_contains 'process.args[0]: cannot execute `/x/echo`: Permission denied'
}

@test "exec check follows execve: root with CAP_DAC_OVERRIDE only permitted (not effective) cannot run a 0100 file of another owner" {
	exec_only_echo 1000
	update_config '.process.capabilities.permitted += ["CAP_DAC_OVERRIDE"] | .process.capabilities.bounding += ["CAP_DAC_OVERRIDE"]'
	set_args /x/echo hi
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_airlock_output_contains 'process.args[0]: cannot execute `/x/echo`: Permission denied'
	# Effective too: it runs.
	update_config '.process.capabilities.effective += ["CAP_DAC_OVERRIDE"]'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output hi
	# exec into a running container checks the same way.
	make_fifos ready go
	set_args sh -c 'echo ready > /ready; read x < /go'
	al run --detach --bundle "$BUNDLE" "$ID-d" </dev/null >"$WORK/out" 2>&1 || fail "run: $(cat "$WORK/out")"
	wait_fifo "$BUNDLE/rootfs/ready"
	run al exec --cap CAP_DAC_OVERRIDE "$ID-d" /x/echo exec-ok
	echo go >"$BUNDLE/rootfs/go"
	assert_success
	assert_output exec-ok
}

@test "config leniency: a namespace with path \"\" is a new namespace" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "" else . end)'
	run_sh 'readlink /proc/self/ns/net'
	assert_success
	[ "$output" != "$(readlink /proc/self/ns/net)" ] || fail "the host's network namespace: $output"
	# A relative path is still refused.
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "net" else . end)'
	run_sh true
	assert_failure
	assert_airlock_output_contains 'linux.namespaces[1].path: must be an absolute path, got "net"'
}

@test "config leniency: device access letters other than r, w and m are ignored (\"ra\" is \"r\"), none of them is refused" {
	update_config '.linux.devices += [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "ra"}]'
	run_sh 'exec 3</dev/fuse && echo read-opened; exec 4>/dev/fuse && echo write-opened; true'
	assert_output_contains read-opened
	refute_output_contains write-opened
	[ "$(echo "$output" | grep -c "Operation not permitted")" -eq 1 ] || fail "not read-only: $output"
	update_config '.linux.resources.devices[-1].access = "a"'
	run_sh true
	assert_failure
	assert_airlock_output_contains 'access: invalid access "a" (expected a combination of r, w and m)'
}

@test "config leniency: hugepageLimits take pagesize as well as pageSize" {
	is_airlock || skip "reads airlock's cgroup mark in the state dir"
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MiB huge pages on this host"
	update_config '.linux.resources.hugepageLimits = [{pagesize: "2MB", limit: 4194304}]'
	set_args true
	create_container || fail "create: $(cat "$WORK/stderr")"
	local dir
	dir=$(sed -n 1p "$ROOT/$ID/cgroup")$(sed -n 2p "$ROOT/$ID/cgroup")
	[ -e "$dir/hugetlb.2MB.max" ] || skip "no hugetlb controller in $dir"
	[ "$(cat "$dir/hugetlb.2MB.max")" = 4194304 ] || fail "hugetlb.2MB.max: $(cat "$dir/hugetlb.2MB.max")"
	al delete --force "$ID"
	update_config '.linux.resources.hugepageLimits = [{limit: 0}]'
	run_sh true
	assert_failure
	assert_output_contains "hugepageLimits[0].pageSize: missing required field"
}

@test "config: SCMP_ACT_NOTIFY without linux.seccomp.listenerPath is refused, naming the rule" {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getppid"], action: "SCMP_ACT_ERRNO"}, {names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}'
	run_sh true
	assert_failure
	assert_airlock_output_contains "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (absent)"
	update_config '.linux.seccomp.listenerPath = ""'
	run_sh true
	assert_failure
	assert_airlock_output_contains "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (empty)"
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_NOTIFY", listenerPath: ""}'
	run_sh true
	assert_failure
	assert_airlock_output_contains "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (empty)"
}

@test "spec: a cgroup namespace only on a cgroup2-only host, as runc" {
	local want=false
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && want=true
	run "$AIRLOCK" spec --bundle "$WORK"
	assert_success
	[ "$(jq '[.linux.namespaces[].type] | index("cgroup") != null' "$WORK/config.json")" = "$want" ] \
		|| fail "cgroup namespace (want $want): $(jq -c .linux.namespaces "$WORK/config.json")"
	[ "$(jq -c '[.linux.namespaces[].type] - ["cgroup"]' "$WORK/config.json")" = '["pid","network","ipc","uts","mount"]' ] \
		|| fail "namespaces: $(jq -c .linux.namespaces "$WORK/config.json")"
	rm "$WORK/config.json"
	run "$AIRLOCK" spec --rootless --bundle "$WORK"
	assert_success
	[ "$(jq '[.linux.namespaces[].type] | index("cgroup") != null' "$WORK/config.json")" = "$want" ] \
		|| fail "rootless cgroup namespace (want $want): $(jq -c .linux.namespaces "$WORK/config.json")"
	# The default config runs here (the bundle's rootfs).
	cp "$WORK/config.json" "$WORK/rootless.json"
	rm "$WORK/config.json"
	"$AIRLOCK" spec --bundle "$WORK"
	jq '.process.args = ["true"] | .process.terminal = false' "$WORK/config.json" >"$BUNDLE/config.json"
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
}

@test "--debug: config, namespaces, cgroup and init pid on stderr or in --log; nothing without it" {
	is_airlock || skip "airlock's debug lines"
	update_config '.linux.namespaces |= map(if .type == "uts" then .path = "/proc/self/ns/uts" else . end) | del(.hostname)'
	set_args true
	run al --debug run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output_contains "debug: container \"$ID\": config $BUNDLE/config.json"
	assert_output_contains "debug: container \"$ID\": namespaces: pid (new), network (new), ipc (new), uts joined from /proc/self/ns/uts, mount (new)"
	assert_output_contains "debug: container \"$ID\": init pid "
	assert_output_contains ", cgroup /sys/fs/cgroup"
	run al --debug --log "$WORK/log" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	refute_output_contains "debug:"
	grep -q "debug: container \"$ID\": namespaces: pid (new)" "$WORK/log" || fail "log: $(cat "$WORK/log")"
	run al --debug --log "$WORK/log.json" --log-format json run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	jq -e 'select(.level == "debug" and (.msg | contains("init pid")))' "$WORK/log.json" >/dev/null || fail "json log: $(cat "$WORK/log.json")"
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	refute_output_contains "debug"
	run al --log "$WORK/log2" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	! grep -q debug "$WORK/log2" 2>/dev/null || fail "debug lines without --debug: $(cat "$WORK/log2")"
}

@test "pids.limit 0: no limit before spec 1.3 (podman's --pids-limit -1), a limit of 0 from 1.3" {
	update_config '.ociVersion = "1.0.2-dev" | .linux.resources.pids = {limit: 0}'
	set_args true
	AIRLOCK_MISSING_CONTROLLERS=refuse run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	# 1.3: "0 is a valid limit ... and SHOULD be treated as such": no task
	# may start (or, without the pids controller, it is an unmet limit).
	update_config '.ociVersion = "1.3.0"'
	AIRLOCK_MISSING_CONTROLLERS=refuse run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	refute_output_contains "Segmentation"
}

# podman (4.3.1 in Debian 12) with airlock as its OCI runtime. Everything
# runs in a private mount namespace with cgroup2 on /sys/fs/cgroup: on a
# hybrid host podman would otherwise use (and write to) the v1 trees, which
# airlock never uses. Storage, state and events stay under $TESTDIR.
podman_script() {
	command -v podman >/dev/null || skip "podman is not installed"
	command -v conmon >/dev/null || skip "conmon is not installed"
	local p=$TESTDIR/podman
	mkdir -p "$p"
	cat >"$p/containers.conf" <<-CONF
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	lock_type = "file"
	events_logfile_path = "$p/events.log"
	runtime = "airlock"
	conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "AIRLOCK_MISSING_CONTROLLERS=${AIRLOCK_MISSING_CONTROLLERS:-}"]
	[engine.runtimes]
	airlock = ["$AIRLOCK"]
	[containers]
	netns = "none"
	# Below the runtime's own limits: this host may deny CAP_SYS_RESOURCE.
	default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
	CONF
	cat >"$p/run.sh" <<-'SCRIPT'
	set -e
	p=$1; shift
	export CONTAINERS_CONF=$p/containers.conf
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || mount -t cgroup2 none /sys/fs/cgroup
	pod() { podman --root "$p/root" --runroot "$p/runroot" --tmpdir "$p/tmp" --storage-driver vfs "$@"; }
	trap 'pod rm -a -f -t 0 >/dev/null 2>&1 || true' EXIT
	eval "$@"
	SCRIPT
	# The cgroup2 tree podman and airlock share (the host's view of it).
	PODMAN_CG=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$PODMAN_CG" ] || skip "no cgroup2 mount"
	[ -e "$PODMAN_CG/libpod_parent" ] && PODMAN_CG_KEEP=1
	run unshare --mount --propagation private sh "$p/run.sh" "$p" "$1"
}

podman_cleanup() {
	if [ -n "${PODMAN_CG:-}" ] && [ -z "${PODMAN_CG_KEEP:-}" ] && [ -d "$PODMAN_CG/libpod_parent" ]; then
		rmdir "$PODMAN_CG"/libpod_parent/* 2>/dev/null || true
		rmdir "$PODMAN_CG/libpod_parent" 2>/dev/null || true
	fi
}

@test "podman: run with airlock as its runtime (default pids limit, --pids-limit -1, exit codes)" {
	podman_script 'pod run --rm --rootfs "'"$BUNDLE/rootfs"'" echo hello-podman
		pod run --rm --pids-limit -1 --rootfs "'"$BUNDLE/rootfs"'" sh -c "exit 3" || echo "status $?"'
	assert_success
	assert_output_contains hello-podman
	assert_output_contains "status 3"
}

@test "podman: --pids-limit -1 (pids 0 before spec 1.3) needs no pids controller" {
	AIRLOCK_MISSING_CONTROLLERS=refuse podman_script 'pod run --rm --pids-limit -1 --rootfs "'"$BUNDLE/rootfs"'" echo no-limit'
	assert_success
	assert_output_contains no-limit
}

@test "podman: run -d, exec, top, stats (read from the container's cgroup) and rm" {
	podman_script 'pod run -d --name al-p1 --rootfs "'"$BUNDLE/rootfs"'" sleep 1000 >/dev/null
		pod exec al-p1 echo exec-ok
		pod top al-p1 args
		pod stats --no-stream --format "stats {{.Name}} cpu={{.CPU}}" al-p1
		pod inspect al-p1 --format "cgroup {{.State.Pid}}"
		cat "/sys/fs/cgroup/libpod_parent/libpod-$(pod inspect al-p1 --format "{{.ID}}")/cgroup.procs" | sed "s/^/procs /"
		pod rm -f -t 0 al-p1 >/dev/null
		pod ps -a -q | wc -l | sed "s/^/left /"'
	assert_success
	assert_output_contains exec-ok
	assert_output_contains "sleep 1000"
	assert_output_contains "stats al-p1 cpu="
	# podman reads /sys/fs/cgroup/<cgroupsPath>: the init is there.
	local pid
	pid=$(echo "$output" | awk '$1 == "cgroup" { print $2 }')
	[ -n "$pid" ] && echo "$output" | grep -qx "procs $pid" || fail "the init is not in the cgroup podman reads: $output"
	assert_output_contains "left 0"
}
