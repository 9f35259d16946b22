#!/usr/bin/env bats
# airlock driven through Debian's conmon (2.1.6) the way CRI-O 1.26 drives a
# runtime handler of runtime_type "oci": conmon runs `create --bundle B
# --pid-file P ID` and conmon's exec runs `exec --pid-file F --process P
# --detach ID`, both with the handler's monitor_env only; CRI-O itself runs
# start, state, kill (-a ID 9 after a host-pid container's init exited),
# update and delete --force. integration/k8s/README.md says what this covers
# of CRI-O and what it does not.

load helpers

CONMON=${CONMON:-/usr/bin/conmon}
CONMON_RUN=$AL_TOP/integration/conmon_run.py
# conmon's environment: the monitor_env of the shipped CRI-O drop-in.
mapfile -t MONITOR_ENV < <(python3 "$AL_TOP/integration/crio_conf.py" monitor-env \
	"$AL_TOP/integration/k8s/crio-airlock.conf" airlock)
MONITOR_ENV_ARGS=()
for e in "${MONITOR_ENV[@]}"; do
	MONITOR_ENV_ARGS+=(--env "$e")
done

setup() {
	[ -x "$CONMON" ] || skip "no conmon at $CONMON (hack/deps.sh installs Debian's)"
	[[ "${MONITOR_ENV[0]:-}" == PATH=* ]] || fail "no monitor_env in crio-airlock.conf"
	al_setup
	# Only what CRI-O's monitor_env gives reaches conmon's runtime calls;
	# the commands CRI-O runs itself get its own environment.
	unset AIRLOCK_MISSING_CONTROLLERS
	mkdir -p "$WORK/exits" "$WORK/persist" "$WORK/sock"
	CONMON_PID=
	update_config '.process.terminal = false | .root.readonly = false'
}

teardown() {
	# A conmon of this test still running (it outlives the container only
	# by a moment): ended by its pid.
	if [ -n "${CONMON_PID:-}" ] && [ -d "/proc/$CONMON_PID" ] &&
		[ "$(cat "/proc/$CONMON_PID/comm" 2>/dev/null)" = conmon ]; then
		kill -KILL "$CONMON_PID" 2>/dev/null || true
	fi
	al_teardown
}

# conmon's create, with CRI-O's arguments (internal/oci/runtime_oci.go,
# CreateContainer); extra conmon_run.py --env options first. Sets
# CONMON_PID, INIT_PID and $output (the sync pipe's messages).
conmon_create() {
	run python3 "$CONMON_RUN" --lines 1 "${MONITOR_ENV_ARGS[@]}" "$@" -- "$CONMON" \
		-b "$BUNDLE" -c "$ID" --exit-dir "$WORK/exits" -l "$WORK/ctr.log" \
		--log-level info -n "k8s_$ID" -P "$WORK/conmon.pid" -p "$BUNDLE/pidfile" \
		--persist-dir "$WORK/persist" -r "$AIRLOCK" --runtime-arg "--root=$ROOT" \
		--socket-dir-path "$WORK/sock" --syslog -u "$ID"
	CONMON_PID=$(cat "$WORK/conmon.pid" 2>/dev/null || true)
	INIT_PID=$(cat "$BUNDLE/pidfile" 2>/dev/null || true)
}

# conmon's exec-sync, with CRI-O's arguments (ExecSyncContainer): process
# spec $1, timeout $2 seconds (0: none). $output: the sync pipe's messages
# and conmon's exit status; the exec's output is in $WORK/exec.log.
conmon_exec_sync() {
	local timeout=()
	[ "$2" -gt 0 ] && timeout=(-T "$2")
	run python3 "$CONMON_RUN" "${MONITOR_ENV_ARGS[@]}" -- "$CONMON" \
		-c "$ID" -n "k8s_$ID" -r "$AIRLOCK" -p "$WORK/exec.pid" -e -l "$WORK/exec.log" \
		--socket-dir-path "$WORK/sock" --log-level info --sync "${timeout[@]}" \
		--exec-process-spec "$1" --runtime-arg "--root=$ROOT"
}

# A process spec for exec, running sh -c "$1".
exec_spec() {
	jq -n --arg c "$1" '{args: ["sh", "-c", $c], cwd: "/", env: ["PATH=/bin"], user: {uid: 0, gid: 0}}'
}

# Block (at most 10 s) until process $1 has exited (a pidfd polls readable).
wait_pid_gone() {
	python3 -c '
import os, select, sys
try:
    fd = os.pidfd_open(int(sys.argv[1]))
except ProcessLookupError:
    sys.exit(0)
r, _, _ = select.select([fd], [], [], 10)
sys.exit(0 if r else 1)' "$1" || fail "process $1 still alive after 10 s"
}

# Session id and process group of a pid.
sid_pgid() {
	awk '{ print $6, $5 }' "/proc/$1/stat"
}

@test "conmon: create, start, exec --detach, exec-sync timeout, kill -a, delete --force leave nothing" {
	# The init shares the host's pid namespace (CRI-O's hostPID pods): its
	# child outlives it, and `kill -a ID 9` is what CRI-O then runs.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 1000 & echo $! > /child; echo ctr-hello; read x < /go; exit 0'
	make_fifos go

	conmon_create
	assert_success
	assert_output_contains "{\"pid\": $INIT_PID}"
	assert_output_contains "conmon-exit: 0"
	[ -n "$CONMON_PID" ] && [ -d "/proc/$CONMON_PID" ] || fail "conmon ($CONMON_PID) is not running"
	[ "$(state_field .status)" = created ]
	[ "$(state_field .pid)" = "$INIT_PID" ]
	# The init is conmon's child (conmon is a subreaper), in a session of
	# its own, not conmon's.
	[ "$(awk '{print $4}' "/proc/$INIT_PID/stat")" = "$CONMON_PID" ] || fail "init's parent is not conmon"
	read -r isid ipgid < <(sid_pgid "$INIT_PID")
	read -r csid cpgid < <(sid_pgid "$CONMON_PID")
	[ "$isid" = "$INIT_PID" ] && [ "$ipgid" = "$INIT_PID" ] || fail "init sid/pgid $isid/$ipgid"
	[ "$isid" != "$csid" ] || fail "init in conmon's session $csid"
	local cgroup
	cgroup=$(jq -r '.cgroup_mount + .cgroup_path' "$ROOT/$ID/state.json")
	[ -d "$cgroup" ] || fail "no cgroup $cgroup"

	al start "$ID"
	[ "$(state_field .status)" = running ]

	# conmon's exec: `exec --pid-file F --process P --detach ID`, exit 0.
	exec_spec 'echo exec-ok' >"$WORK/ok.json"
	conmon_exec_sync "$WORK/ok.json" 0
	assert_output_contains '{"exit_code": 0}'
	assert_output_contains "conmon-exit: 0"
	grep -q 'stdout F exec-ok$' "$WORK/exec.log" || fail "exec log: $(cat "$WORK/exec.log")"

	# An exec-sync (a probe) that times out: conmon kills the exec's process
	# group, which must not be conmon's own, and reports the timeout.
	exec_spec 'echo probe-started; exec sleep 1000' >"$WORK/slow.json"
	conmon_exec_sync "$WORK/slow.json" 1
	assert_output_contains '{"exit_code": -1, "message": "command timed out"}'
	assert_output_contains "conmon-exit: 255"
	refute_output_contains "conmon-signal"
	local probe
	probe=$(cat "$WORK/exec.pid")
	wait_pid_gone "$probe"
	# The container and its conmon are untouched.
	[ "$(state_field .status)" = running ]
	[ -d "/proc/$CONMON_PID" ] || fail "the container's conmon died"

	# The same exec run directly, as CRI-O's conmon runs it: the process
	# has its own session and group, not the caller's.
	exec_spec 'exec sleep 1000' >"$WORK/sleep.json"
	al exec --pid-file "$WORK/detached.pid" --process "$WORK/sleep.json" --detach "$ID" </dev/null >/dev/null 2>&1
	local epid
	epid=$(cat "$WORK/detached.pid")
	read -r esid epgid < <(sid_pgid "$epid")
	[ "$esid" = "$epid" ] && [ "$epgid" = "$epid" ] || fail "exec'd process sid/pgid $esid/$epgid, pid $epid"
	[ "$esid" != "$(awk '{print $6}' /proc/self/stat)" ] || fail "exec'd process in the caller's session"
	[ "$(awk '{print $5}' /proc/self/stat)" != "$epgid" ] || fail "exec'd process in the caller's group"

	# The init exits; its child is left in the cgroup (host pid namespace).
	local child
	child=$(cat "$BUNDLE/rootfs/child")
	echo go >"$BUNDLE/rootfs/go"
	wait_pid_gone "$CONMON_PID"
	[ "$(cat "$WORK/exits/$ID")" = 0 ] || fail "exit file: $(cat "$WORK/exits/$ID")"
	grep -q 'stdout F ctr-hello$' "$WORK/ctr.log" || fail "container log: $(cat "$WORK/ctr.log")"
	[ "$(state_field .status)" = stopped ]
	[ -d "/proc/$child" ] || fail "the init's child $child is gone already"
	run al kill -a "$ID" 9
	assert_success
	wait_pid_gone "$child"
	wait_pid_gone "$epid"
	run al kill -a "$ID" 9
	assert_success

	al delete --force "$ID"
	[ ! -e "$ROOT/$ID" ] || fail "state dir left: $(ls -la "$ROOT/$ID")"
	[ ! -e "$cgroup" ] || fail "cgroup left: $cgroup"
	run container_procs
	assert_output ""
}

@test "conmon: delete --force of a running container ends it and its conmon" {
	set_args sh -c 'echo ready; exec sleep 1000'
	conmon_create
	assert_success
	al start "$ID"
	local cgroup
	cgroup=$(jq -r '.cgroup_mount + .cgroup_path' "$ROOT/$ID/state.json")
	al delete --force "$ID"
	wait_pid_gone "$CONMON_PID"
	# conmon saw the init die of SIGKILL.
	[ "$(cat "$WORK/exits/$ID")" = 137 ] || fail "exit file: $(cat "$WORK/exits/$ID")"
	[ ! -e "$ROOT/$ID" ] || fail "state dir left"
	[ ! -e "$cgroup" ] || fail "cgroup left: $cgroup"
	run container_procs
	assert_output ""
}

@test "conmon: a create that fails reports the runtime's error on the sync pipe and leaves nothing" {
	update_config '.process.args = ["/no/such/program"]'
	conmon_create
	assert_success
	assert_output_contains '"pid": -1'
	assert_output_contains "/no/such/program"
	run al state "$ID"
	assert_failure
	[ ! -e "$ROOT/$ID" ] || fail "state dir left"
}

# The hybrid-host opt-in is one setting: in monitor_env (conmon's
# environment) only, the container created under conmon keeps it for the
# commands CRI-O runs with its own environment (update here).
@test "conmon: AIRLOCK_MISSING_CONTROLLERS=warn in conmon's environment only holds for CRI-O's later update" {
	is_airlock || skip "airlock's cgroup v2 behaviour"
	local mnt
	mnt=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	! grep -qw cpu "$mnt/cgroup.controllers" || skip "the cpu controller is available here"
	# CRI-O's infra container: cpu.shares 2.
	update_config '.linux.resources.cpu = {"shares": 2}'
	set_args sleep 1000
	conmon_create
	assert_output_contains '"pid": -1'
	assert_output_contains "linux.resources.cpu.shares"
	[ ! -e "$ROOT/$ID" ] || fail "state dir left"

	conmon_create --env AIRLOCK_MISSING_CONTROLLERS=warn
	assert_output_contains "{\"pid\": $INIT_PID}"
	al start "$ID"
	run al update --resources - "$ID" <<<'{"cpu": {"shares": 2}}'
	assert_success
	assert_output_contains "not enforced"
	exec_spec 'echo exec-ok' >"$WORK/ok.json"
	conmon_exec_sync "$WORK/ok.json" 0
	assert_output_contains '{"exit_code": 0}'
	al delete --force "$ID"
	wait_pid_gone "$CONMON_PID"
}
