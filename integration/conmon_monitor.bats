#!/usr/bin/env bats
# A profiled container (airlock.profile) created through conmon, as CRI-O
# does, is watched by the monitor `airlock create` leaves behind
# (runtime/lib/watcher.h): its deadline (airlock.timeout) kills it, its
# denied syscalls are recorded, and its verdict reaches the state dir
# (`airlock verdict`) and the termination message file CRI-O mounts, before
# conmon reports the exit. The monitor is out of conmon's session, holds no
# fd it does not need, cannot be killed from the container, takes the
# container with it when it dies, and never outlives delete.

load helpers

setup_file() {
	command -v conmon >/dev/null || skip "no conmon"
	AIRLOCK_PROFILES_DIR=$(cd "$(dirname "$AIRLOCK")/.." && pwd)/specs/profiles
	export AIRLOCK_PROFILES_DIR
}

setup() {
	is_airlock || skip "airlock only: the monitor of create is airlock's"
	command -v conmon >/dev/null || skip "no conmon"
	al_setup
	CM=$TESTDIR/conmon
	mkdir -p "$CM/exits" "$CM/sockets"
	# The file the kubelet makes for the termination message (CRI-O bind
	# mounts it at the container's terminationMessagePath).
	TL=$CM/termination-log
	: >"$TL"
	update_config --arg tl "$TL" '.annotations["airlock.profile"] = "untrusted-pod"
		| .annotations["io.kubernetes.cri-o.TerminationMessagePath"] = "/dev/termination-log"
		| .mounts += [{destination: "/dev/termination-log", type: "bind", source: $tl, options: ["rbind", "rw"]}]'
}

teardown() {
	if [ -n "${SYNC_FD:-}" ]; then
		exec {SYNC_FD}<&-
	fi
	al_teardown
}

# conmon_create: conmon as CRI-O runs it (daemonized, API 1, exit dir,
# attach socket dir, the runtime's --root as a runtime arg), with
# AIRLOCK_MISSING_CONTROLLERS in its environment (helpers.bash). Reads the
# container's pid from conmon's sync pipe (a FIFO; its EOF later says that
# conmon has exited) into $CPID.
conmon_create() {
	mkfifo "$CM/sync"
	(
		cd "$CM"
		_OCI_SYNCPIPE=3 exec conmon --api-version 1 -c "$ID" -u "$ID" -n "$ID" -r "$AIRLOCK" -b "$BUNDLE" \
			-p "$CM/pidfile" -P "$CM/conmon.pid" -l "$CM/ctr.log" --exit-dir "$CM/exits" \
			--socket-dir-path "$CM/sockets" --runtime-arg "--root=$ROOT" --log-level debug "$@" \
			3>"$CM/sync" </dev/null >"$CM/conmon.out" 2>&1
	) &
	exec {SYNC_FD}<"$CM/sync"
	local line
	read -r -t 20 -u "$SYNC_FD" line || fail "no word from conmon: $(cat "$CM/conmon.out")"
	CPID=$(echo "$line" | jq -r .data)
	[ "$CPID" -gt 0 ] || fail "conmon: create failed: $line"
	MON=$(cut -d' ' -f1 "$ROOT/$ID/monitor")
	[ -n "$MON" ] || fail "no monitor recorded"
}

# conmon_wait_exit [SECONDS]: until conmon exits (EOF on its sync pipe,
# which only conmon held), then $EXIT is the exit file's status.
conmon_wait_exit() {
	local line rc=0
	while read -r -t "${1:-20}" -u "$SYNC_FD" line; do :; done || rc=$?
	[ "$rc" -le 128 ] || fail "conmon has not exited within ${1:-20} s"
	EXIT=$(cat "$CM/exits/$ID")
}

tl_field() {
	jq -r "$1" "$TL"
}

@test "conmon monitor: the deadline kills the container on time; the verdict reaches the termination message" {
	update_config '.annotations["airlock.timeout"] = "2s" | .process.args = ["sleep", "60"]'
	conmon_create
	local t0=$SECONDS
	al start "$ID"
	conmon_wait_exit 20
	local spent=$((SECONDS - t0))
	[ "$spent" -le 6 ] || fail "killed after $spent s (deadline 2 s)"
	[ "$EXIT" = 137 ] || fail "exit $EXIT"
	[ "$(tl_field .timed_out)" = true ] || fail "$(cat "$TL")"
	[ "$(tl_field .timeout_ms)" = 2000 ] || fail "$(cat "$TL")"
	[ "$(tl_field .signal)" = SIGKILL ] || fail "$(cat "$TL")"
	[ "$(tl_field .profile)" = untrusted-pod ] || fail "$(cat "$TL")"
	local wall
	wall=$(tl_field .wall_time_ms)
	[ "$wall" -ge 2000 ] && [ "$wall" -lt 4000 ] || fail "wall time $wall ms"
	# The same verdict in the state dir, until delete.
	run al verdict --json "$ID"
	assert_success
	[ "$(echo "$output" | jq -r .timed_out)" = true ] || fail "$output"
	# Written before conmon reported the exit, and the monitor is gone.
	[ ! -e "/proc/$MON" ] || fail "monitor $MON still there: $(cat /proc/$MON/status)"
	al delete "$ID"
	[ ! -d "$ROOT/$ID" ] || fail "state left"
}

@test "conmon monitor: a container that exits by itself gets its verdict" {
	update_config '.annotations["airlock.timeout"] = "30s" | .process.args = ["sh", "-c", "echo out; exit 3"]'
	conmon_create
	al start "$ID"
	conmon_wait_exit 20
	[ "$EXIT" = 3 ] || fail "exit $EXIT"
	[ "$(tl_field .exit_code)" = 3 ] || fail "$(cat "$TL")"
	[ "$(tl_field .timed_out)" = false ] || fail "$(cat "$TL")"
	[ "$(tl_field .ok)" = false ] || fail "$(cat "$TL")"
	[ "$(tl_field .id)" = "$ID" ] || fail "$(cat "$TL")"
	grep -q "stdout F out" "$CM/ctr.log" || fail "output: $(cat "$CM/ctr.log")"
	run al verdict --json "$ID"
	assert_success
	[ "$(echo "$output" | jq -r .exit_code)" = 3 ] || fail "$output"
	al delete "$ID"
}

@test "conmon monitor: a denied syscall is in the verdict; the termination path is CRI-O's annotation" {
	# CRI-O names the container's terminationMessagePath in an annotation
	# (under /dev: the profile's user namespace may not add a mount point to
	# the rootfs, which is host root's).
	update_config --arg tl "$TL" '.mounts |= map(select(.destination != "/dev/termination-log"))
		| .mounts += [{destination: "/dev/msg", type: "bind", source: $tl, options: ["rbind", "rw"]}]
		| .annotations["io.kubernetes.cri-o.TerminationMessagePath"] = "/dev/msg"
		| .process.args = ["sh", "-c", "mount -t tmpfs x /mnt; hostname evil; exit 0"]'
	conmon_create
	al start "$ID"
	conmon_wait_exit 20
	[ "$EXIT" = 0 ] || fail "exit $EXIT"
	tl_field '.denied_syscalls[].name' >"$WORK/denied"
	grep -qx mount "$WORK/denied" || fail "$(cat "$TL")"
	grep -qx sethostname "$WORK/denied" || fail "$(cat "$TL")"
	[ "$(tl_field .denied_syscalls_total)" -ge 2 ] || fail "$(cat "$TL")"
	al delete "$ID"
}

@test "conmon monitor: own session, only the fds it needs, root outside the container's namespaces" {
	update_config '.annotations["airlock.timeout"] = "60s" | .process.args = ["sleep", "60"]'
	conmon_create
	al start "$ID"
	local conmon_pid
	conmon_pid=$(cat "$CM/conmon.pid")
	# setsid: neither conmon's session nor its process group.
	read -r -a st </proc/"$MON"/stat
	read -r -a cst </proc/"$conmon_pid"/stat
	[ "${st[5]}" = "$MON" ] || fail "monitor session ${st[5]}, not its own"
	[ "${st[4]}" != "${cst[4]}" ] || fail "monitor in conmon's process group"
	[ "${st[3]}" = "$conmon_pid" ] || fail "monitor's parent ${st[3]}, not conmon $conmon_pid"
	# The init is the monitor's child (it dies with it).
	read -r -a ist </proc/"$CPID"/stat
	[ "${ist[3]}" = "$MON" ] || fail "init's parent ${ist[3]}, not the monitor"
	# Its fds: /dev/null on 0-2, the init's pidfd, the seccomp listener,
	# the state dir (no lock: delete locks it while the monitor finishes),
	# the cgroup.
	local fd l cg
	cg=$(jq -r '.cgroup_mount + .cgroup_path' "$ROOT/$ID/state.json")
	for fd in /proc/"$MON"/fd/*; do
		l=$(readlink "$fd")
		case "$l" in
		/dev/null | "anon_inode:[pidfd]" | "anon_inode:seccomp notify" | "$ROOT/$ID") ;;
		# its own loop's: epoll, the deadline's and the sampler's timers
		"anon_inode:[eventpoll]" | "anon_inode:[timerfd]") ;;
		# the container's cgroup (the deadline's kill, the samples)
		"$cg") ;;
		# exec.fifo, until it sees the init's exec (it may not have yet)
		"$ROOT/$ID/exec.fifo (deleted)") ;;
		*) fail "monitor holds ${fd##*/} -> $l" ;;
		esac
	done
	# and no lock on anything.
	for fd in /proc/"$MON"/fdinfo/*; do
		! grep -q '^lock:' "$fd" || fail "monitor holds a lock: $(cat "$fd")"
	done
	# Root of the host's user and pid namespaces, not the container's.
	grep -q '^Uid:[[:space:]]*0[[:space:]]' /proc/"$MON"/status || fail "$(grep Uid /proc/$MON/status)"
	[ "$(readlink /proc/"$MON"/ns/user)" = "$(readlink /proc/self/ns/user)" ] || fail "user ns"
	[ "$(readlink /proc/"$MON"/ns/pid)" = "$(readlink /proc/self/ns/pid)" ] || fail "pid ns"
	[ "$(readlink /proc/"$CPID"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] || fail "the container shares our pid ns"
	# Its memory, for the record.
	grep -E '^(VmRSS|RssAnon|RssFile)' /proc/"$MON"/status | sed 's/^/# monitor /' >&3 || true
	local anon
	anon=$(awk '/^RssAnon/ {print $2}' /proc/"$MON"/status)
	# (An ASan build's shadow memory and quarantine are megabytes: not the
	# monitor's, so the bound is checked on the plain build only.)
	if [ -n "${AL_SAN_LOG_DIR:-}" ]; then
		echo "# sanitizer build: RssAnon $anon KiB, the 1024 KiB bound is for the plain build" >&3
	else
		[ "$anon" -lt 1024 ] || fail "monitor RssAnon $anon KiB"
	fi
	al delete --force "$ID"
}

@test "conmon monitor: the container cannot kill it; killing it kills the container" {
	update_config '.annotations["airlock.timeout"] = "60s" | .process.args = ["sleep", "60"]'
	conmon_create
	al start "$ID"
	# From inside (untrusted-pod: root of a user namespace of its own, an
	# unprivileged host uid, a pid namespace of its own): the monitor has no
	# pid there, and kill -1 reaches only the container's own processes.
	run al exec "$ID" sh -c "ls /proc/$MON >/dev/null 2>&1 && echo VISIBLE; kill -9 $MON; kill -9 -1; echo done"
	refute_output_contains VISIBLE
	kill -0 "$MON" || fail "monitor died of the container's kill"
	# With the container's credentials (its uid and gid, no capabilities),
	# even on the host the monitor cannot be traced or read.
	local uid gid
	uid=$(awk '/^Uid:/ {print $2}' /proc/"$CPID"/status)
	gid=$(awk '/^Gid:/ {print $2}' /proc/"$CPID"/status)
	run setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs \
		-- sh -c "exec 3</proc/$MON/mem"
	assert_failure
	assert_output_contains "Permission denied"
	kill -0 "$MON" || fail "monitor died"
	[ "$(al state "$ID" | jq -r .status)" = running ] || fail "not running"
	# The attacker with root on the host kills the monitor: the container dies
	# with it, and conmon reports the kill.
	kill -KILL "$MON"
	conmon_wait_exit 10
	[ "$EXIT" = 137 ] || fail "exit $EXIT"
	[ "$(al state "$ID" | jq -r .status)" = stopped ] || fail "not stopped"
	[ ! -e "/proc/$CPID" ] || fail "init $CPID still there"
	[ -z "$(container_procs)" ] || fail "left: $(container_procs)"
	al delete "$ID"
	[ ! -d "$ROOT/$ID" ] || fail "state left"
}

@test "conmon monitor: delete --force leaves no monitor, state or cgroup; the verdict says killed" {
	update_config '.annotations["airlock.timeout"] = "60s" | .process.args = ["sleep", "60"]'
	conmon_create
	al start "$ID"
	local cg
	cg=$(jq -r '.cgroup_mount + .cgroup_path' "$ROOT/$ID/state.json")
	[ -d "$cg" ] || fail "no cgroup $cg"
	al delete --force "$ID"
	[ ! -e "/proc/$MON" ] || [ "$(awk '{print $3}' /proc/$MON/stat)" = Z ] || fail "monitor $MON still running"
	conmon_wait_exit 10
	[ "$EXIT" = 137 ] || fail "exit $EXIT"
	[ ! -e "/proc/$MON" ] || fail "monitor $MON left"
	[ ! -d "$ROOT/$ID" ] || fail "state left"
	[ ! -d "$cg" ] || fail "cgroup $cg left"
	[ -z "$(container_procs)" ] || fail "left: $(container_procs)"
	[ "$(tl_field .signal)" = SIGKILL ] || fail "$(cat "$TL")"
	[ "$(tl_field .timed_out)" = false ] || fail "$(cat "$TL")"
}

@test "conmon monitor: delete of a created container that never started stops its monitor" {
	update_config '.annotations["airlock.timeout"] = "60s" | .process.args = ["true"]'
	conmon_create
	[ "$(al state "$ID" | jq -r .status)" = created ] || fail "not created"
	al delete --force "$ID"
	conmon_wait_exit 10
	[ ! -e "/proc/$MON" ] || fail "monitor $MON left"
	[ ! -d "$ROOT/$ID" ] || fail "state left"
}

@test "conmon monitor: a container without a profile has no monitor" {
	update_config 'del(.annotations["airlock.profile"]) | .process.args = ["true"]'
	mkfifo "$CM/sync"
	(
		_OCI_SYNCPIPE=3 exec conmon --api-version 1 -c "$ID" -u "$ID" -n "$ID" -r "$AIRLOCK" -b "$BUNDLE" \
			-p "$CM/pidfile" -P "$CM/conmon.pid" -l "$CM/ctr.log" --exit-dir "$CM/exits" \
			--socket-dir-path "$CM/sockets" --runtime-arg "--root=$ROOT" 3>"$CM/sync" </dev/null >"$CM/conmon.out" 2>&1
	) &
	exec {SYNC_FD}<"$CM/sync"
	local line
	read -r -t 20 -u "$SYNC_FD" line || fail "no word from conmon"
	[ ! -e "$ROOT/$ID/monitor" ] || fail "a monitor for an unprofiled container"
	al start "$ID"
	conmon_wait_exit 10
	[ "$EXIT" = 0 ] || fail "exit $EXIT"
	[ ! -s "$TL" ] || fail "a termination message: $(cat "$TL")"
	al delete "$ID"
}

@test "conmon monitor: delete kills a monitor that does not finish" {
	update_config '.annotations["airlock.timeout"] = "60s" | .process.args = ["sleep", "60"]'
	conmon_create
	al start "$ID"
	# A monitor that hangs (stopped here): delete waits a bounded time,
	# then kills it; the container goes with it.
	kill -STOP "$MON"
	run al delete --force "$ID"
	assert_success
	assert_output_contains "its monitor (pid $MON) has not exited"
	conmon_wait_exit 10
	[ ! -e "/proc/$MON" ] || fail "monitor $MON left"
	[ ! -d "$ROOT/$ID" ] || fail "state left"
	[ -z "$(container_procs)" ] || fail "left: $(container_procs)"
}

@test "conmon monitor: a terminal container (conmon -t) is watched too" {
	update_config '.annotations["airlock.timeout"] = "2s" | .process.terminal = true
		| .process.args = ["sh", "-c", "tty; sleep 60"]'
	conmon_create -t
	al start "$ID"
	conmon_wait_exit 20
	[ "$EXIT" = 137 ] || fail "exit $EXIT"
	grep -q "/dev/pts/" "$CM/ctr.log" || fail "no terminal: $(cat "$CM/ctr.log")"
	[ "$(tl_field .timed_out)" = true ] || fail "$(cat "$TL")"
	al delete "$ID"
}
