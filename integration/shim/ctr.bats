#!/usr/bin/env bats
# The shim driven by `ctr` through a private containerd 1.6:
# ctr run/exec/kill/pause/resume/metrics/delete with --runtime $RUNTIME.

load helpers

# nprocs_at_least ID N: the task has at least N processes (`ctr task ps`).
nprocs_at_least() {
	[ "$(c task ps "$1" | tail -n +2 | wc -l)" -ge "$2" ]
}

file_differs() {
	[ "$(cat "$1")" != "$2" ]
}

# Stdin tests feed ctr from a FIFO and write only once the process runs:
# ctr 1.6 closes the task's stdin (CloseIO) on EOF only if EOF comes after the
# process was created.

@test "ctr run: stdout and exit code 0" {
	run_bounded 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
		"$IMAGE" "$CID" echo hello </dev/null
	assert_success
	assert_output hello
}

@test "ctr run: exit codes propagate" {
	run_bounded 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
		"$IMAGE" "$CID" sh -c 'echo out; echo err >&2; exit 42' </dev/null
	assert_status 42
	assert_output_contains out
	assert_output_contains err
}

@test "ctr run: a container killed by a signal reports 128+sig" {
	timeout -k 2 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
		"$IMAGE" "$CID" sleep 1000 </dev/null >/dev/null 2>&1 &
	local p=$!
	wait_task_status "$CID" RUNNING
	c task kill -s KILL "$CID"
	status=0
	wait "$p" || status=$?
	assert_status 137
}

@test "ctr run: the process runs in the image's rootfs with its env" {
	run_bounded 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
		--env FOO=bar "$IMAGE" "$CID" sh -c 'echo $FOO; cat /etc/hosts >/dev/null; echo $$; ls /bin/busybox' </dev/null
	assert_success
	[ "${lines[0]}" = bar ] || fail "$output"
	[ "${lines[1]}" = 1 ] || fail "not pid 1 in its pid namespace: $output"
	[ "${lines[2]}" = /bin/busybox ] || fail "$output"
}

@test "ctr run: stdin is copied in and its EOF closes it" {
	local in=$CTD_DIR/work/$CID.in out=$CTD_DIR/work/$CID.out fd
	mkfifo "$in"
	timeout -k 2 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
		"$IMAGE" "$CID" sh -c 'cat; echo done' <"$in" >"$out" 2>&1 &
	local ctr_pid=$!
	exec {fd}>"$in"
	wait_task_status "$CID" RUNNING
	printf 'hi\nthere\n' >&"$fd"
	exec {fd}>&-
	status=0
	wait "$ctr_pid" || status=$?
	output=$(cat "$out")
	assert_success
	assert_output "hi
there
done"
}

@test "ctr run -t: the process gets a terminal" {
	run_bounded 60 script -qec "ctr --address '$CTD_SOCK' -n '$NS' run --rm -t --runtime '$RUNTIME' --cpu-shares 0 \
		'$IMAGE' '$CID' sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo isatty; exit 3'" /dev/null
	assert_status 3
	assert_output_contains /dev/pts/
	assert_output_contains isatty
}

@test "ctr task exec: output, exit code, stdin and tty" {
	run_detached "$CID" sleep 1000
	wait_task_status "$CID" RUNNING

	run_bounded 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id e1 "$CID" \
		sh -c 'echo in; echo err >&2; exit 5' </dev/null
	assert_status 5
	assert_output_contains in
	assert_output_contains err

	# The exec joins the container: same pid namespace (sleep is pid 1).
	run_bounded 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id e2 "$CID" \
		cat /proc/1/cmdline </dev/null
	assert_success
	assert_output_contains sleep

	# stdin, closed on EOF.
	local in=$CTD_DIR/work/$CID.in out=$CTD_DIR/work/$CID.out fd p
	mkfifo "$in"
	timeout -k 2 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id e3 "$CID" \
		sh -c 'read x; echo got $x' <"$in" >"$out" 2>&1 &
	p=$!
	exec {fd}>"$in"
	until_ok 15 nprocs_at_least "$CID" 2
	echo word >&"$fd"
	exec {fd}>&-
	status=0
	wait "$p" || status=$?
	output=$(cat "$out")
	assert_success
	assert_output "got word"

	# tty
	run_bounded 30 script -qec "ctr --address '$CTD_SOCK' -n '$NS' task exec -t --exec-id e4 '$CID' \
		sh -c '[ -t 0 ] && echo isatty; tty'" /dev/null
	assert_success
	assert_output_contains isatty
	assert_output_contains /dev/pts/

	# exec ids are unique while in use, reusable afterwards.
	run_bounded 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id e1 "$CID" true </dev/null
	assert_success
}

@test "ctr task kill: SIGTERM is delivered, exit status comes back" {
	local out=$CTD_DIR/work/$CID.out
	timeout -k 2 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
		"$IMAGE" "$CID" sh -c 'trap "echo term; exit 9" TERM; echo ready; sleep 1000 & wait' \
		</dev/null >"$out" 2>&1 &
	local p=$!
	until_ok 15 grep -q ready "$out"
	c task kill -s TERM "$CID"
	status=0
	wait "$p" || status=$?
	output=$(cat "$out")
	assert_status 9
	assert_output_contains term
}

@test "ctr task kill -a and delete: the task stops, everything goes" {
	run_detached "$CID" sh -c 'sleep 1000 & sleep 1000 & wait'
	wait_task_status "$CID" RUNNING
	local shim bundle
	shim=$(shim_pid_of "$CID")
	bundle=$(bundle_of "$CID")
	[ -d "$bundle" ]
	# Init plus two children.
	until_ok 15 nprocs_at_least "$CID" 3
	c task kill -a -s KILL "$CID"
	wait_task_status "$CID" STOPPED
	# ctr prints the exit status (as a warning) when it is not 0.
	run c task delete "$CID"
	assert_success
	assert_output_contains 137
	wait_task_status "$CID" ""
	c container delete "$CID"
	# The shim exits once its last task is deleted; the bundle is gone.
	until_ok 15 bash -c "! kill -0 $shim 2>/dev/null"
	[ ! -e "$bundle" ] || fail "bundle $bundle left behind"
}

@test "ctr task pause/resume: the task freezes and thaws" {
	run_detached "$CID" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; done'
	wait_task_status "$CID" RUNNING
	until_ok 15 test -s "/proc/$(task_pid "$CID")/root/tmp/count"
	c task pause "$CID"
	wait_task_status "$CID" PAUSED
	# Frozen: the counter does not move (read twice through the host).
	local pid a b
	pid=$(task_pid "$CID")
	a=$(cat "/proc/$pid/root/tmp/count")
	c task ls >/dev/null # some milliseconds: thousands of increments if running
	b=$(cat "/proc/$pid/root/tmp/count")
	[ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"
	c task resume "$CID"
	wait_task_status "$CID" RUNNING
	until_ok 15 file_differs "/proc/$pid/root/tmp/count" "$a"
	run_bounded 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id e1 "$CID" echo alive </dev/null
	assert_success
	assert_output alive
}

@test "ctr task metrics and ps" {
	run_detached "$CID" sh -c 'sleep 1000 & wait'
	wait_task_status "$CID" RUNNING
	run c task metrics "$CID"
	assert_success
	assert_output_contains "$CID"
	assert_output_contains METRIC
	assert_output_contains cpu
	run c task metrics --format json "$CID"
	assert_success
	jq -e . <<<"$output" >/dev/null
	run c task ps "$CID"
	assert_success
	assert_output_contains "$(task_pid "$CID")"
}

@test "ctr: a container that is created but never started can be deleted" {
	c container create --runtime "$RUNTIME" "$IMAGE" "$CID" true
	c task start -d "$CID" </dev/null >/dev/null
	wait_task_status "$CID" STOPPED
	run c task delete "$CID"
	assert_success
	c container delete "$CID"
}

@test "ctr: several containers at once, each with its own shim" {
	local i ids=() shims=()
	for i in 1 2 3; do
		run_detached "$CID-$i" sleep 1000
	done
	for i in 1 2 3; do
		wait_task_status "$CID-$i" RUNNING
		shims+=("$(shim_pid_of "$CID-$i")")
	done
	[ "$(printf '%s\n' "${shims[@]}" | sort -u | wc -l)" -eq 3 ] || fail "shims: ${shims[*]}"
	for i in 1 2 3; do
		c task kill -s KILL "$CID-$i"
	done
	for i in 1 2 3; do
		wait_task_status "$CID-$i" STOPPED
		c task delete "$CID-$i" >/dev/null
		c container delete "$CID-$i"
	done
}

# Run in a container: any sign that its cwd is outside its root (climbing
# ".." from inside ends at the container's "/"; from a host directory, at
# the host's "/", where $CTD_DIR is).
escape_probe() {
	cat <<PROBE
up=../../../../../../../../../../../../../../../..
[ -d "\$up$CTD_DIR" ] && echo ESCAPED: the host is reachable from the cwd
[ "\$(stat -c %d:%i "\$up")" = "\$(stat -c %d:%i /)" ] || echo ESCAPED: the cwd is outside the root
echo "probe-done cwd=\$(readlink /proc/self/cwd)"
PROBE
}

# $1: the case; $status/$output: a clear refusal naming process.cwd, or the
# probe ran and saw nothing of the host. Escapes and unclear outcomes are
# collected, then reported by all_contained.
escape_case() {
	case "$output" in
	*ESCAPED*) echo "$1: $output" >>"$CTD_DIR/work/$CID.escapes" ;;
	*probe-done*) [ "$status" -eq 0 ] || echo "$1: status $status: $output" >>"$CTD_DIR/work/$CID.unclear" ;;
	*"process.cwd \""*) [ "$status" -ne 0 ] || echo "$1: status 0: $output" >>"$CTD_DIR/work/$CID.unclear" ;;
	*) echo "$1: status $status: $output" >>"$CTD_DIR/work/$CID.unclear" ;;
	esac
}

all_contained() {
	local e=$CTD_DIR/work/$CID.escapes u=$CTD_DIR/work/$CID.unclear
	[ ! -s "$e" ] || fail "escaped in $(wc -l <"$e") cases: $(cat "$e")"
	[ ! -s "$u" ] || fail "unclear outcome in $(wc -l <"$u") cases: $(cat "$u")"
}

@test "attacker: ctr run --cwd /proc/self/fd/N never starts outside the root (CVE-2024-21626)" {
	local n cwd
	for n in $(seq 3 40) 255; do
		for cwd in "/proc/self/fd/$n" "/proc/1/fd/$n/.."; do
			[ "$cwd" = "/proc/self/fd/$n" ] || [ "$n" -le 16 ] || continue
			run_bounded 60 ctr --address "$CTD_SOCK" -n "$NS" run --rm --runtime "$RUNTIME" --cpu-shares 0 \
				--cwd "$cwd" "$IMAGE" "$CID-$n-${#cwd}" sh -c "$(escape_probe)" </dev/null
			escape_case "ctr run --cwd $cwd"
		done
	done
	all_contained
}

@test "attacker: ctr task exec --cwd /proc/self/fd/N never runs outside the root" {
	run_detached "$CID" sleep 1000
	wait_task_status "$CID" RUNNING
	local n
	for n in $(seq 3 40) 255; do
		run_bounded 30 ctr --address "$CTD_SOCK" -n "$NS" task exec --exec-id "e$n" --cwd "/proc/self/fd/$n" "$CID" \
			sh -c "$(escape_probe)" </dev/null
		escape_case "ctr task exec --cwd /proc/self/fd/$n"
	done
	all_contained
}
