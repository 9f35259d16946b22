#!/usr/bin/env bats
# Fault injection: the runtime killed (SIGKILL, via strace's syscall
# tampering) at each step of create, a full state root, too few fds, a
# bundle that vanishes, a read-only rootfs, an init that ignores SIGTERM and
# a process stuck in uninterruptible sleep. After each, `delete --force`
# (or the failed command itself) leaves a clean host: no state dir, no
# cgroup, no mounts, no processes; and every error names what failed.
#
# What a create killed at each step leaves (and what delete --force removes):
#   after mkdir of the state dir (flock)      empty state dir
#   after config.json (mknodat exec.fifo)     state dir with config.json
#   after the cgroup (clone3)                 + cgroup (empty), its record
#   init running, state.json.tmp (renameat)   + init (exits on its own: its
#                                             sync socket hits EOF)
#   after state.json (sendto COMMIT)          a complete state, init gone:
#                                             status "stopped"
# The namespaces die with the init; its mounts live in its own mount
# namespace, so none ever shows on the host.

load helpers

# Servers a test started and mounts it made (killed and unmounted first in
# teardown, even when it failed).
FAULT_PIDS=()
FAULT_MOUNTS=()

teardown() {
	local m p
	for p in "${FAULT_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for m in "${FAULT_MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null || true
	done
	al_teardown
}

CGROOT=/sys/fs/cgroup/unified

# The default cgroup of container $1 (airlock's placement; runc has none here).
cgroup_of() {
	echo "$CGROOT/airlock/$1"
}

# Nothing of container $1 is left on the host.
assert_clean() {
	local id=$1
	[ ! -e "$ROOT/$id" ] || fail "state dir left: $(ls -A "$ROOT/$id")"
	[ ! -e "$(cgroup_of "$id")" ] || fail "cgroup left: $(cgroup_of "$id") (procs: $(cat "$(cgroup_of "$id")/cgroup.procs"))"
	! grep -F " $BUNDLE" /proc/self/mountinfo || fail "mounts left"
	[ -z "$(container_procs)" ] || fail "container processes left: $(container_procs)"
}

# Wait (bounded, ~10 s) until pid $1 is gone (or a zombie).
wait_gone() {
	local i
	for i in $(seq 1 200); do
		[ -e "/proc/$1/stat" ] || return 0
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	fail "pid $1 still alive"
}

need_strace() {
	command -v strace >/dev/null || skip "strace is not installed (hack/deps.sh installs it)"
}

# Run `create` under strace, which kills it with SIGKILL on entering the
# first call of syscall $1. Extra strace options may follow.
create_killed_at() {
	local sc=$1
	shift
	status=0
	# LeakSanitizer cannot run under ptrace (a SAN build's exit check would
	# report a fatal error instead): leaks are checked in untraced runs.
	(cd "$BUNDLE" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 exec strace -o "$WORK/strace" "$@" -e trace="$sc" -e inject="$sc":signal=SIGKILL \
		"$AIRLOCK" --root "$ROOT" create "$ID") </dev/null >"$WORK/create.out" 2>&1 || status=$?
	output=$(cat "$WORK/create.out")
}

@test "faults: create killed at each step, delete --force cleans up" {
	is_airlock || skip "airlock's state layout and cgroup placement"
	need_strace
	set_args sleep 100
	local step want
	for step in flock:empty mknodat:config.json clone3:cgroup renameat:state.json.tmp sendto:state.json; do
		ID=${ID%-*}-${step%%:*}
		want=${step#*:}
		create_killed_at "${step%%:*}"
		[ "$status" -eq 137 ] || fail "$step: create was not killed (status $status): $output"
		[ -d "$ROOT/$ID" ] || fail "$step: no state dir"
		case $want in
		empty) [ -z "$(ls -A "$ROOT/$ID")" ] || fail "$step: $(ls -A "$ROOT/$ID")" ;;
		*) [ -e "$ROOT/$ID/$want" ] || fail "$step: no $want in $(ls -A "$ROOT/$ID")" ;;
		esac
		case $want in
		cgroup | state.json*) [ -d "$(cgroup_of "$ID")" ] || fail "$step: no cgroup" ;;
		*) [ ! -e "$(cgroup_of "$ID")" ] || fail "$step: a cgroup already" ;;
		esac
		run al delete --force "$ID"
		assert_success
		if [ "$want" != state.json ]; then
			# It says what it removed.
			assert_output_contains "container \"$ID\": its create was interrupted (no state.json): removed"
			assert_output_contains "state dir $ROOT/$ID"
		fi
		assert_clean "$ID"
		# delete --force of what is gone is a no-op.
		run al delete --force "$ID"
		assert_success
		assert_output ""
	done
}

@test "faults: create killed while the init hangs in a createContainer hook" {
	is_airlock || skip "airlock's cgroup placement"
	set_args sleep 100
	update_config '.hooks.createContainer = [{"path": "/bin/sleep", "args": ["sleep", "1000"]}]'
	"$AIRLOCK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/create.out" 2>&1 &
	local rt=$! cg i n=0
	cg=$(cgroup_of "$ID")
	# The init and its hook: two processes in the cgroup.
	for i in $(seq 1 200); do
		n=$(cat "$cg/cgroup.procs" 2>/dev/null | wc -l)
		[ "$n" -ge 2 ] && break
		sleep 0.05
	done
	[ "$n" -ge 2 ] || fail "the hook never ran: $(cat "$WORK/create.out")"
	local pids
	pids=$(cat "$cg/cgroup.procs")
	kill -KILL "$rt"
	wait "$rt" || true
	# Killed mid-create: no state.json, the init and its hook still there.
	[ ! -e "$ROOT/$ID/state.json" ]
	run al delete --force "$ID"
	assert_success
	assert_output_contains "removed cgroup $cg"
	local p
	for p in $pids; do
		wait_gone "$p"
	done
	assert_clean "$ID"
}

@test "faults: init killed mid-mount: create fails, names it, cleans up" {
	need_strace
	set_args sleep 100
	# -f: the init is traced too; pivot_root is its last mount step.
	create_killed_at pivot_root -f
	assert_failure
	assert_output_contains "container \"$ID\": init was killed by signal"
	assert_output_contains "SIGKILL"
	assert_output_contains "during setup"
	assert_clean "$ID"
}

@test "faults: delete --force of a container with a corrupt state.json" {
	is_airlock || skip "airlock's state layout"
	set_args sleep 100
	create_container
	local pid
	pid=$(state_field .pid)
	echo '{"id": "trunc' >"$ROOT/$ID/state.json"
	run al state "$ID"
	assert_failure
	assert_output_contains "container \"$ID\": corrupt state.json"
	run al delete --force "$ID"
	assert_success
	assert_output_contains "removed cgroup $(cgroup_of "$ID")"
	wait_gone "$pid"
	assert_clean "$ID"
}

@test "faults: a failed create never kills another container's cgroup" {
	is_airlock || skip "airlock's cgroup placement"
	make_fifos ready
	set_args sh -c 'echo ready > /ready; exec sleep 100'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	local pid
	pid=$(state_field .pid)
	# Same id under another root: same default cgroup, in use.
	mkdir "$TESTDIR/root2"
	run "$AIRLOCK" --root "$TESTDIR/root2" create --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "cgroup $(cgroup_of "$ID") already exists and has processes"
	[ "$(state_field .status)" = running ] || fail "the first container is $(state_field .status)"
	kill -0 "$pid"
	[ -z "$(ls -A "$TESTDIR/root2")" ]
	al delete --force "$ID"
	assert_clean "$ID"
}

@test "faults: ENOSPC on the state root" {
	mkdir "$TESTDIR/small"
	mount -t tmpfs -o size=64k,nr_inodes=64 faults-small "$TESTDIR/small"
	FAULT_MOUNTS+=("$TESTDIR/small")
	# Full: config.json cannot be written.
	dd if=/dev/zero of="$TESTDIR/small/fill" bs=4k count=64 status=none 2>/dev/null || true
	set_args sleep 100
	ROOT=$TESTDIR/small/root run_create
	assert_failure
	assert_output_contains "container \"$ID\""
	assert_output_contains "No space left on device"
	[ -z "$(ls -A "$TESTDIR/small/root")" ] || fail "left: $(ls -A "$TESTDIR/small/root")"
	assert_clean "$ID"
	# One page free: config.json fits, something later (the cgroup record
	# or state.json) does not; all of it is undone.
	rm "$TESTDIR/small/fill"
	dd if=/dev/zero of="$TESTDIR/small/fill" bs=4k count=15 status=none
	ROOT=$TESTDIR/small/root run_create
	if [ "$status" -eq 0 ]; then
		ROOT=$TESTDIR/small/root al delete --force "$ID"
	else
		assert_output_contains "container \"$ID\""
		assert_output_contains "No space left on device"
	fi
	[ -z "$(ls -A "$TESTDIR/small/root")" ] || fail "left: $(ls -A "$TESTDIR/small/root")"
	assert_clean "$ID"
	umount "$TESTDIR/small"
}

@test "faults: EMFILE at every fd limit: each create succeeds or fails cleanly" {
	# The soft limit only: the container may still raise its own.
	set_args sleep 100
	local n failed=0 low=3
	# Below some limit the dynamic loader itself fails: start above it.
	until (ulimit -Sn "$low" && exec "$AIRLOCK" --version) >/dev/null 2>&1; do
		low=$((low + 1))
		[ "$low" -lt 64 ] || fail "airlock --version fails at every fd limit"
	done
	for n in $(seq "$low" $((low + 20))); do
		status=0
		(ulimit -Sn "$n" && exec "$AIRLOCK" --root "$ROOT" create --bundle "$BUNDLE" "$ID-$n") </dev/null \
			>"$WORK/create.out" 2>&1 || status=$?
		output=$(cat "$WORK/create.out")
		if [ "$status" -eq 0 ]; then
			al delete --force "$ID-$n"
		else
			failed=$((failed + 1))
			assert_output_contains "Too many open files"
			# Names what it was opening.
			assert_airlock_output_contains "\"$ID-$n\""
		fi
		assert_clean "$ID-$n"
	done
	[ "$failed" -gt 0 ] || fail "no fd limit made create fail"
}

@test "faults: bundle missing before create" {
	rm -rf "$BUNDLE"
	run al create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "$BUNDLE"
	assert_output_contains "No such file or directory"
	assert_clean "$ID"
}

@test "faults: bundle removed between create and start" {
	set_args sh -c 'echo started'
	create_container
	local pid
	pid=$(state_field .pid)
	rm -rf "$BUNDLE"
	# start only releases the init; its exec then fails inside the container.
	al start "$ID"
	wait_status "$ID" stopped
	if is_airlock; then
		grep -q "container \"$ID\":.*sh.*No such file or directory" "$WORK/stderr" \
			|| fail "no error naming the program: $(cat "$WORK/stderr")"
	fi
	al delete "$ID"
	assert_clean "$ID"
}

@test "faults: rootfs on a read-only filesystem" {
	mkdir "$TESTDIR/ro"
	mount --bind "$BUNDLE/rootfs" "$TESTDIR/ro"
	FAULT_MOUNTS+=("$TESTDIR/ro")
	mount -o remount,bind,ro "$TESTDIR/ro"
	update_config --arg p "$TESTDIR/ro" '.root.path = $p | .root.readonly = false'
	# Runs: every mount point it needs exists; writes fail inside.
	run_sh 'touch /x 2>&1; echo rc=$?'
	assert_success
	assert_output_contains "Read-only file system"
	assert_output_contains "rc=1"
	al delete --force "$ID" 2>/dev/null || true
	# A mount point that must be created in it: the error names it.
	update_config '.mounts += [{"destination": "/faults-new", "type": "tmpfs", "source": "tmpfs"}]'
	set_args true
	run_create
	assert_failure
	assert_output_contains "/faults-new"
	assert_output_contains "Read-only file system"
	umount "$TESTDIR/ro"
	assert_clean "$ID"
}

@test "faults: an init that ignores SIGTERM: kill leaves it, delete --force kills it" {
	make_fifos ready
	set_args sh -c "trap '' TERM; sleep 1000 & echo ready > /ready; while :; do wait; done"
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	local pid
	pid=$(state_field .pid)
	al kill "$ID" TERM
	al kill --all "$ID" TERM
	# Still there (the signal was delivered and ignored; the child sleep got
	# it too and died, and the shell waits on).
	[ "$(state_field .status)" = running ]
	run al delete "$ID"
	assert_failure
	assert_output_contains "$ID"
	assert_airlock_output_contains "use --force"
	run al delete --force "$ID"
	assert_success
	wait_gone "$pid"
	assert_clean "$ID"
}

@test "faults: kill --all KILL ends an init that ignores SIGTERM and its children" {
	make_fifos ready
	set_args sh -c "trap '' TERM; (trap '' TERM; sleep 1000) & echo ready > /ready; while :; do wait; done"
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	local procs
	procs=$(container_procs)
	al kill --all "$ID" KILL
	wait_status "$ID" stopped
	local p
	for p in $procs; do
		wait_gone "$p"
	done
	al delete "$ID"
	assert_clean "$ID"
}

@test "faults: delete --force of a paused (frozen) container" {
	is_airlock || skip "airlock's cgroup v2 freezer"
	[ -e "$CGROOT/cgroup.subtree_control" ] || skip "no cgroup2 at $CGROOT"
	make_fifos ready
	set_args sh -c 'sleep 1000 & echo ready > /ready; wait'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	local pid
	pid=$(state_field .pid)
	al pause "$ID"
	[ "$(state_field .status)" = paused ]
	run al delete --force "$ID"
	assert_success
	wait_gone "$pid"
	assert_clean "$ID"
}

@test "faults: a process in uninterruptible sleep: delete --force is bounded, says so, and works once it dies" {
	is_airlock || skip "airlock's bounded delete"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	mkdir "$BUNDLE/rootfs/stall"
	python3 "$BATS_TEST_DIRNAME/fuse_stall.py" "$BUNDLE/rootfs/stall" "$WORK/stalled" 2>"$WORK/fuse.err" &
	local server=$! i
	FAULT_PIDS+=("$server")
	FAULT_MOUNTS+=("$BUNDLE/rootfs/stall")
	for i in $(seq 1 100); do
		grep -qF "$BUNDLE/rootfs/stall" /proc/self/mountinfo && break
		kill -0 "$server" || fail "fuse server died: $(cat "$WORK/fuse.err")"
		sleep 0.05
	done
	make_fifos ready
	# The init waits; a child asks the file system and never gets an answer.
	set_args sh -c 'cat /stall/x & echo ready > /ready; wait'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	for i in $(seq 1 200); do
		[ -s "$WORK/stalled" ] && break
		sleep 0.05
	done
	[ -s "$WORK/stalled" ] || fail "the request never reached the server"
	local stuck
	stuck=$(cat "$WORK/stalled")

	local t0=$SECONDS
	run al delete --force "$ID"
	assert_failure
	[ $((SECONDS - t0)) -le 20 ] || fail "delete --force took $((SECONDS - t0)) s"
	assert_output_contains "container \"$ID\" (kept, delete it again)"
	assert_output_contains "processes still alive"
	assert_output_contains "pid $stuck (state D: uninterruptible sleep, in request_wait_answer)"
	# SIGKILL is pending, but the process sleeps uninterruptibly on.
	[ "$(awk '{print $3}' "/proc/$stuck/stat")" = D ] || fail "pid $stuck is not in D state"
	# The state stays for the next try.
	[ -e "$ROOT/$ID/state.json" ]

	# Its file system answers (goes away): it dies, and delete --force works.
	kill "$server"
	wait "$server" || true
	wait_gone "$stuck"
	run al delete --force "$ID"
	assert_success
	umount -l "$BUNDLE/rootfs/stall"
	assert_clean "$ID"
}
