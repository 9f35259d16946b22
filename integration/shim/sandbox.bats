#!/usr/bin/env bats
# Sandbox profiles through the shim: a container selected by the annotation
# airlock.profile, or by the runtime class's shim config (runtime options
# with a ConfigPath), is watched by the shim: denied syscalls recorded, the
# deadline enforced, and its verdict written to the state dir and to the
# termination message file (/dev/termination-log's host source) before
# containerd hears of the exit.
#
# The CRI config gets pod_annotations/container_annotations for `airlock`
# (as integration/k8s/containerd-airlock.toml) and three more handlers:
#   airlock-untrusted  options ConfigPath -> a shim config {"profile": "untrusted-pod"}
#   airlock-badconfig  options ConfigPath -> a file that does not exist
#   airlock-badkey     options ConfigPath -> a config with an unknown key

SHIM_NEED_CRI=1
load helpers

# The profiles of this tree, whatever is installed on the host.
export AIRLOCK_PROFILES_DIR=$SHIM_TOP/specs/profiles

CTD_AIRLOCK_EXTRA='      pod_annotations = ["airlock.*"]
      container_annotations = ["airlock.*"]'

setup_file() {
	SHIM_CFG_DIR=$(mktemp -d /tmp/al-shimcfg.XXXXXX)
	chmod 0755 "$SHIM_CFG_DIR"
	export SHIM_CFG_DIR
	echo '{"comment": "test", "profile": "untrusted-pod"}' >"$SHIM_CFG_DIR/untrusted.json"
	echo '{"profile": "untrusted", "timeout": "1s"}' >"$SHIM_CFG_DIR/short.json"
	echo '{"profile": "untrusted", "timeuot": "1s"}' >"$SHIM_CFG_DIR/badkey.json"
	CTD_RUNTIMES_EXTRA=$(
		local h
		for h in untrusted:untrusted.json badconfig:missing.json badkey:badkey.json; do
			cat <<-EOF
			    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.airlock-${h%%:*}]
			      runtime_type = "io.containerd.airlock.v2"
			      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.airlock-${h%%:*}.options]
			        TypeUrl = "io.airlock.shim.v1.Config"
			        ConfigPath = "$SHIM_CFG_DIR/${h#*:}"
			EOF
		done
	)
	export CTD_RUNTIMES_EXTRA
	shim_setup_file
}

teardown_file() {
	shim_teardown_file
	rm -rf "$SHIM_CFG_DIR"
}

# The verdict the shim wrote into its state dir for a (stopped, not yet
# deleted) container of namespace $2 (default $NS).
verdict_of() {
	cat "/run/airlock-shim/${2:-$NS}/$1/verdict.json"
}

# ctr run -d through the airlock shim; wait for the exit.
ctr_run_stopped() {
	local id=$1
	shift
	c run -d --runtime "$RUNTIME" --cpu-shares 0 "$@" </dev/null >/dev/null
	wait_task_status "$id" STOPPED
}

@test "sandbox (ctr): annotation airlock.profile: denied syscalls in the verdict, exit code" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	ctr_run_stopped "$CID" --annotation airlock.profile=untrusted "$IMAGE" "$CID" \
		sh -c 'mount -t tmpfs none /mnt; unshare -n true; exit 3'
	run c task ls
	assert_output_contains "$CID"
	run verdict_of "$CID"
	assert_success
	local v=$output
	[ "$(jq -r .profile <<<"$v")" = untrusted ] || fail "$v"
	[ "$(jq -r .exit_code <<<"$v")" = 3 ] || fail "$v"
	[ "$(jq -r '.denied_syscalls[] | select(.name == "mount") | .count' <<<"$v")" -ge 1 ] || fail "$v"
	[ "$(jq -r '.denied_syscalls[] | select(.name == "unshare") | .count' <<<"$v")" -ge 1 ] || fail "$v"
	[ "$(jq -r .timed_out <<<"$v")" = false ] || fail "$v"
	# Host ids of its own from the profile's pool, given back at delete.
	local first slot
	first=$(jq -r .host_ids.first <<<"$v")
	[ "$first" -ge 1879048192 ] || fail "$v"
	slot=/run/airlock-ids/$first-$((first + 65535))
	grep -qF "\"id\":\"$CID\"" "$slot" || fail "no slot file for $CID"
	c task delete "$CID"
	! grep -qsF "\"id\":\"$CID\"" "$slot" || fail "slot not released: $(cat "$slot")"
	c container delete "$CID"
}

@test "sandbox (ctr): runtime config path selects the profile without an annotation; its timeout kills" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	ctr_run_stopped "$CID" --runtime-config-path "$SHIM_CFG_DIR/short.json" "$IMAGE" "$CID" \
		sh -c 'mount -t tmpfs none /mnt; sleep 100'
	run verdict_of "$CID"
	assert_success
	local v=$output
	[ "$(jq -r .profile <<<"$v")" = untrusted ] || fail "$v"
	[ "$(jq -r .timed_out <<<"$v")" = true ] || fail "$v"
	[ "$(jq -r .timeout_ms <<<"$v")" = 1000 ] || fail "$v"
	[ "$(jq -r .signal <<<"$v")" = SIGKILL ] || fail "$v"
	[ "$(jq -r '.denied_syscalls[0].name' <<<"$v")" = mount ] || fail "$v"
	# The stored config carries the profile (exec re-applies it).
	grep -q '"airlock.profile":"untrusted"' "/run/airlock-shim/$NS/$CID/config.json"
	c task delete "$CID"
	c container delete "$CID"
}

# ctr with a time limit, its stdout and stderr left to the caller.
ctr_bounded() {
	local t=$1
	shift
	timeout -k 2 "$t" ctr --address "$CTD_SOCK" -n "$NS" "$@"
}

# A termination message file for a foreground `ctr run` (which deletes the
# task, and the verdict.json in its state dir with it): $TL, and the mount.
termination_log() {
	# Where the container's user namespace can reach it (as kubelet's).
	TL=$CTD_DIR/work/$CID.termination-log
	: >"$TL"
	chmod 0644 "$TL"
	TL_MOUNT="type=bind,src=$TL,dst=/dev/termination-log,options=rbind:ro"
}

# The verdict counts what the init wrote to stdout and stderr (the shim
# copies them through pipes for a watched container), and the output still
# reaches containerd: ctr prints it.
@test "sandbox (ctr): stdout/stderr bytes in the verdict, and the output arrives" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	local d=$BATS_TEST_TMPDIR t0=$SECONDS
	termination_log
	# A background child holding stdout (gone with the pid namespace) does
	# not hold the exit back.
	status=0
	ctr_bounded 60 run --runtime "$RUNTIME" --cpu-shares 0 --annotation airlock.profile=untrusted \
		--mount "$TL_MOUNT" "$IMAGE" "$CID" sh -c 'sleep 100 & head -c 12345 /dev/zero; head -c 6789 /dev/zero >&2; exit 5' \
		</dev/null >"$d/out" 2>"$d/err" || status=$?
	assert_status 5
	[ $((SECONDS - t0)) -lt 20 ] || fail "took $((SECONDS - t0)) s"
	[ "$(wc -c <"$d/out")" = 12345 ] || fail "ctr's stdout: $(wc -c <"$d/out") bytes"
	[ "$(wc -c <"$d/err")" = 6789 ] || fail "ctr's stderr: $(wc -c <"$d/err") bytes"
	local v
	v=$(cat "$TL")
	[ "$(jq -r .stdout_bytes <<<"$v")" = 12345 ] || fail "$v"
	[ "$(jq -r .stderr_bytes <<<"$v")" = 6789 ] || fail "$v"
	[ "$(jq -r .exit_code <<<"$v")" = 5 ] || fail "$v"
	[ "$(jq -r .monitor_error <<<"$v")" = null ] || fail "$v"
	c container delete "$CID"
}

@test "sandbox (ctr): an output flood is copied and counted in full" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	local d=$BATS_TEST_TMPDIR
	termination_log
	status=0
	ctr_bounded 120 run --runtime "$RUNTIME" --cpu-shares 0 --annotation airlock.profile=untrusted \
		--mount "$TL_MOUNT" "$IMAGE" "$CID" sh -c 'head -c 8000000 /dev/zero & head -c 3000000 /dev/zero >&2; wait' \
		</dev/null >"$d/out" 2>"$d/err" || status=$?
	assert_success
	[ "$(wc -c <"$d/out")" = 8000000 ] || fail "ctr's stdout: $(wc -c <"$d/out") bytes"
	[ "$(wc -c <"$d/err")" = 3000000 ] || fail "ctr's stderr: $(wc -c <"$d/err") bytes"
	local v
	v=$(cat "$TL")
	[ "$(jq -r .stdout_bytes <<<"$v")" = 8000000 ] || fail "$v"
	[ "$(jq -r .stderr_bytes <<<"$v")" = 3000000 ] || fail "$v"
	[ "$(jq -r .ok <<<"$v")" = true ] || fail "$v"
	c container delete "$CID"
}

# A client that stops reading keeps the output from draining: the verdict
# (and the exit) come anyway, SH_WATCH_DRAIN_MS (2 s) after the init's exit,
# with the bytes read until then and a monitor_error saying so.
@test "sandbox (ctr): output nobody reads holds the verdict back 2 s at most" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	termination_log
	local fifo=$CTD_DIR/work/$CID.fifo hold p t0=$SECONDS
	mkfifo "$fifo"
	exec {hold}<>"$fifo" # a reader that never reads: ctr blocks writing
	# ctr itself (it forwards SIGTERM to the task: killed with SIGKILL below)
	ctr --address "$CTD_SOCK" -n "$NS" run --runtime "$RUNTIME" --cpu-shares 0 \
		--annotation airlock.profile=untrusted --annotation airlock.timeout=1s --mount "$TL_MOUNT" \
		"$IMAGE" "$CID" sh -c 'head -c 100000000 /dev/zero' </dev/null >"$fifo" 2>/dev/null &
	p=$!
	local i
	for i in $(seq 1 300); do
		[ -s "$TL" ] && break
		sleep 0.05
	done
	local took=$((SECONDS - t0))
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" || true
	exec {hold}<&-
	local v
	v=$(cat "$TL")
	[ -n "$v" ] || fail "no verdict after $took s"
	[ "$took" -lt 12 ] || fail "took $took s"
	[ "$(jq -r .timed_out <<<"$v")" = true ] || fail "$v"
	[ "$(jq -r .stdout_bytes <<<"$v")" -gt 0 ] || fail "$v"
	[ "$(jq -r .stdout_bytes <<<"$v")" -lt 100000000 ] || fail "$v"
	jq -r .monitor_error <<<"$v" | grep -q "output still open 2000 ms after the exit" || fail "$v"
	wait_task_status "$CID" STOPPED
	c task delete "$CID"
	c container delete "$CID"
}

@test "sandbox (ctr): with a terminal, the pty's output is counted as stdout" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	termination_log
	# No newline in the output: the pty passes it unchanged (no CR added).
	# The verdict is complete before ctr hears of the exit.
	run_bounded 60 script -qec "ctr --address '$CTD_SOCK' -n '$NS' run -t --runtime '$RUNTIME' --cpu-shares 0 \
		--annotation airlock.profile=untrusted --mount '$TL_MOUNT' '$IMAGE' '$CID' \
		sh -c 'head -c 5000 /dev/zero; exit 2'" /dev/null
	assert_status 2
	local v
	v=$(cat "$TL")
	# All the pty's output counts, the echo of its input too (ctr's ^D at
	# the end of its stdin shows as two bytes): 5000 and a few more.
	local n
	n=$(jq -r .stdout_bytes <<<"$v")
	[ "$n" -ge 5000 ] && [ "$n" -le 5010 ] || fail "$v"
	[ "$(jq -r .stderr_bytes <<<"$v")" = 0 ] || fail "$v"
	c container delete "$CID"
}

@test "sandbox (ctr): an unwatched container's output goes to containerd untouched, no verdict" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	local d=$BATS_TEST_TMPDIR
	status=0
	ctr_bounded 60 run --runtime "$RUNTIME" --cpu-shares 0 "$IMAGE" "$CID" \
		sh -c 'head -c 4321 /dev/zero; ls -l /proc/self/fd/1 >&2' </dev/null >"$d/out" 2>"$d/err" || status=$?
	assert_success
	[ "$(wc -c <"$d/out")" = 4321 ] || fail "ctr's stdout: $(wc -c <"$d/out") bytes"
	# stdout is containerd's FIFO itself, not a pipe of the shim's.
	grep -v 'pipe:' "$d/err" || fail "$(cat "$d/err")"
	run verdict_of "$CID"
	assert_failure
	c container delete "$CID"
}

@test "sandbox (ctr): a bad runtime config is a clear error from Create" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	run c run --runtime "$RUNTIME" --cpu-shares 0 --runtime-config-path "$SHIM_CFG_DIR/badkey.json" \
		"$IMAGE" "$CID" true
	assert_failure
	assert_output_contains "$SHIM_CFG_DIR/badkey.json: timeuot: unknown key"
	c container delete "$CID"
	run c run --runtime "$RUNTIME" --cpu-shares 0 --runtime-config-path "$SHIM_CFG_DIR/nope.json" \
		"$IMAGE" "$CID" true
	assert_failure
	assert_output_contains "ConfigPath"
	assert_output_contains "$SHIM_CFG_DIR/nope.json"
	c container delete "$CID"
}

@test "sandbox (ctr): a bind source that is a symlink to a denied path is refused by what it resolves to" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	local link=$CTD_DIR/work/$CID.link
	ln -s /etc/ssh "$link"
	run ctr_bounded 60 run --runtime "$RUNTIME" --cpu-shares 0 --annotation airlock.profile=untrusted \
		--mount "type=bind,src=$link,dst=/mnt,options=rbind:ro" "$IMAGE" "$CID" ls /mnt
	assert_failure
	assert_output_contains "profile \"untrusted\": mounts["
	assert_output_contains "($link -> /mnt): $link resolves to /etc/ssh, which the profile keeps from containers"
	[[ "$output" != *ssh_config* ]] || fail "the container listed /etc/ssh: $output"
	c container delete "$CID"
}

# ---- CRI --------------------------------------------------------------------

run_pod() {
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	POD=$(cri run-pod --name "p-$CID" --log-dir "$W/logs" --save "$W/pod.json" "$@")
	[ -n "$POD" ]
}

# create_ctr NAME CMD...: a container with a termination message file as
# kubelet makes it ($W/NAME.termination-log); sets $CTR.
create_ctr() {
	local name=$1
	shift
	: >"$W/$name.termination-log"
	CTR=$(cri create --pod "$POD" --pod-config "$W/pod.json" --name "$name" \
		--image "$IMAGE" --log-path "$name.log" \
		--mount "$W/$name.termination-log:/dev/termination-log" -- "$@")
	[ -n "$CTR" ]
}

wait_ctr_exited() {
	local end=$((SECONDS + 20)) s
	while :; do
		s=$(cri inspect "$1" | jq -r '.status.state // "CONTAINER_CREATED"')
		[ "$s" = CONTAINER_EXITED ] && return 0
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.05
	done
	fail "container $1: state $s, wanted CONTAINER_EXITED"
}

@test "sandbox (cri): pod annotation airlock.profile=untrusted-pod: the verdict is the termination message" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	run_pod --handler airlock --annotation airlock.profile=untrusted-pod
	create_ctr task sh -c 'echo hello; mount -t tmpfs none /mnt; mount -t tmpfs none /mnt; exit 4'
	cri start "$CTR"
	wait_ctr_exited "$CTR"
	run cri inspect "$CTR"
	[ "$(jq -r .status.exit_code <<<"$output")" = 4 ] || fail "$output"
	local v
	v=$(cat "$W/task.termination-log")
	[ -n "$v" ] || fail "empty termination message"
	[ "$(jq -r .profile <<<"$v")" = untrusted-pod ] || fail "$v"
	[ "$(jq -r .exit_code <<<"$v")" = 4 ] || fail "$v"
	[ "$(jq -r '.denied_syscalls[] | select(.name == "mount") | .count' <<<"$v")" = 2 ] || fail "$v"
	# The pod's sandbox container runs under the profile too (no deadline).
	run verdict_of "$POD" k8s.io
	assert_failure # still running: no verdict yet
	grep -q '"airlock.profile": *"untrusted-pod"' "/run/airlock-shim/k8s.io/$POD/config.json"
	cri rm "$CTR"
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}

@test "sandbox (cri): stdout/stderr bytes in the termination message, the output in the container log" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	run_pod --handler airlock --annotation airlock.profile=untrusted-pod
	create_ctr out sh -c 'seq 1 3000; seq 1 1500 >&2'
	local nout nerr
	nout=$(seq 1 3000 | wc -c)
	nerr=$(seq 1 1500 | wc -c)
	cri start "$CTR"
	wait_ctr_exited "$CTR"
	local v
	v=$(cat "$W/out.termination-log")
	[ "$(jq -r .stdout_bytes <<<"$v")" = "$nout" ] || fail "$v"
	[ "$(jq -r .stderr_bytes <<<"$v")" = "$nerr" ] || fail "$v"
	[ "$(jq -r .exit_code <<<"$v")" = 0 ] || fail "$v"
	# All of the output reaches the container log, both streams.
	local i got
	for i in $(seq 1 100); do
		grep -q ' stdout F 3000$' "$W/logs/out.log" && grep -q ' stderr F 1500$' "$W/logs/out.log" && break
		sleep 0.05
	done
	got=$(sed -n 's/^[^ ]* stdout F //p' "$W/logs/out.log")
	[ "$got" = "$(seq 1 3000)" ] || fail "stdout in the log: $(printf '%s\n' "$got" | wc -c) bytes of $nout"
	got=$(sed -n 's/^[^ ]* stderr F //p' "$W/logs/out.log")
	[ "$got" = "$(seq 1 1500)" ] || fail "stderr in the log: $(printf '%s\n' "$got" | wc -c) bytes of $nerr"
	cri rm "$CTR"
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}

@test "sandbox (cri): airlock.timeout kills the container at its deadline, not the pod's sandbox" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	run_pod --handler airlock --annotation airlock.profile=untrusted-pod --annotation airlock.timeout=1s
	create_ctr slow sleep 100
	local t0=$SECONDS
	cri start "$CTR"
	wait_ctr_exited "$CTR"
	[ $((SECONDS - t0)) -lt 10 ] || fail "took $((SECONDS - t0)) s"
	run cri inspect "$CTR"
	[ "$(jq -r .status.exit_code <<<"$output")" = 137 ] || fail "$output"
	local v
	v=$(cat "$W/slow.termination-log")
	[ "$(jq -r .timed_out <<<"$v")" = true ] || fail "$v"
	[ "$(jq -r .timeout_ms <<<"$v")" = 1000 ] || fail "$v"
	[ "$(jq -r .signal <<<"$v")" = SIGKILL ] || fail "$v"
	# The sandbox has the same annotations but no deadline: still running.
	[ "$(task_status "$POD" k8s.io)" = RUNNING ] || fail "sandbox: $(task_status "$POD" k8s.io)"
	run cri inspect-pod "$POD"
	[ "$(jq -r '.status.state // "SANDBOX_READY"' <<<"$output")" = SANDBOX_READY ] || fail "$output"
	cri rm "$CTR"
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}

@test "sandbox (cri): the runtime class's shim config applies the profile without an annotation" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	run_pod --handler airlock-untrusted
	create_ctr task sh -c 'unshare -U true; sleep 100'
	cri start "$CTR"
	# An exec'd process gets the profile too (denied calls fail, unrecorded).
	local i
	for i in $(seq 1 100); do
		[ "$(cri inspect "$CTR" | jq -r .status.state)" = CONTAINER_RUNNING ] && break
		sleep 0.05
	done
	run cri exec-sync "$CTR" -- sh -c 'mount -t tmpfs none /mnt || echo denied; grep NoNewPrivs /proc/self/status'
	assert_success
	assert_output_contains denied
	assert_output_contains "NoNewPrivs:	1"
	cri stop --timeout 0 "$CTR"
	wait_ctr_exited "$CTR"
	local v
	v=$(cat "$W/task.termination-log")
	[ "$(jq -r .profile <<<"$v")" = untrusted-pod ] || fail "$v"
	[ "$(jq -r .signal <<<"$v")" = SIGKILL ] || fail "$v"
	[ "$(jq -r .timed_out <<<"$v")" = false ] || fail "$v"
	[ "$(jq -r '.denied_syscalls[] | select(.name == "unshare") | .count' <<<"$v")" -ge 1 ] || fail "$v"
	# The exec's mount was answered by the filter alone: not in the verdict.
	[ "$(jq -r '[.denied_syscalls[] | select(.name == "mount")] | length' <<<"$v")" = 0 ] || fail "$v"
	cri rm "$CTR"
	cri stop-pod "$POD"
	cri rm-pod "$POD"
}

@test "sandbox (cri): a runtime class with a bad shim config fails with the file named" {
	is_airlock_shim || skip "the airlock shim only (RUNTIME=$RUNTIME)"
	W=$CTD_DIR/work/$CID
	mkdir -p "$W/logs"
	run cri run-pod --name "p-$CID" --log-dir "$W/logs" --handler airlock-badconfig
	assert_failure
	assert_output_contains "$SHIM_CFG_DIR/missing.json"
	run cri run-pod --name "p2-$CID" --log-dir "$W/logs" --handler airlock-badkey
	assert_failure
	assert_output_contains "$SHIM_CFG_DIR/badkey.json: timeuot: unknown key"
	# The profile for standalone containers does not fit a pod: said so.
	run cri run-pod --name "p3-$CID" --log-dir "$W/logs" --handler airlock \
		--annotation airlock.profile=untrusted
	assert_failure
	assert_output_contains 'need "untrusted-pod"'
}
