#!/usr/bin/env bats
# The monitor of `airlock sandbox` and of `airlock run` of a profiled config,
# attacked through what it shares with the caller: a reader that stops
# reading (a pipe, a terminal), the caller's terminal as stdin, output made to
# pass for a verdict or to drive the caller's terminal, and the death of the
# monitor itself (SIGKILL). Each case asserts that the deadline still fires
# and denied syscalls are still answered, that bytes are counted, that nothing
# of the caller's terminal reaches the program, and that nothing outlives the
# monitor. Terminals come from ptyterm.py (a pty of their own).

load ../helpers

setup_file() {
	export AIRLOCK_PROFILES_DIR=$BATS_TEST_DIRNAME/../../specs/profiles
	HOSTILE_BIN=$BATS_FILE_TMPDIR/hostile
	mkdir -p "$HOSTILE_BIN"
	gcc -static -O2 -Wall -Wextra -Werror -o "$HOSTILE_BIN/attempt" "$BATS_TEST_DIRNAME/attempt.c" || return 1
	export HOSTILE_BIN
}

setup() {
	is_airlock || skip "airlock only: sandbox and its monitor"
	al_setup
	mkdir -p "$BUNDLE/rootfs/hostile"
	cp "$HOSTILE_BIN"/* "$BUNDLE/rootfs/hostile/"
	PTYRUN=$BATS_TEST_DIRNAME/ptyterm.py
}

teardown() {
	if [ -n "${STALL_FD:-}" ]; then
		exec {STALL_FD}<&-
	fi
	al_teardown
}

now_ms() {
	date +%s%3N
}

# Field of the verdict $WORK/v.json (jq filter, raw output).
vj() {
	jq -r "$1" "$WORK/v.json"
}

assert_vj() {
	local got
	got=$(vj "$1")
	[ "$got" = "$2" ] || fail "verdict $1: expected <<$2>>, got <<$got>>; verdict: $(cat "$WORK/v.json")"
}

# A FIFO whose reader never reads: once full, a write to it would block.
stalled_fifo() {
	mkfifo "$WORK/stall"
	exec {STALL_FD}<>"$WORK/stall"
}

# Bytes sitting in the stalled FIFO (read without blocking).
fifo_bytes() {
	dd if="$WORK/stall" iflag=nonblock bs=64k 2>/dev/null | wc -c
}

# The container of this test, before its monitor is killed: its cgroup dir,
# the processes in it (at least $1 of them) and its bundle.
record_container() {
	CG_DIR=$(sed -n 1p "$ROOT/$ID/cgroup")$(sed -n 2p "$ROOT/$ID/cgroup")
	CT_BUNDLE=$(al state "$ID" | jq -r .bundle)
	CT_PIDS=$(cat "$CG_DIR/cgroup.procs")
	[ "$(echo $CT_PIDS | wc -w)" -ge "$1" ] || fail "expected $1 processes in $CG_DIR, got: $CT_PIDS"
}

# Every process of the container died within 2 s of its monitor (zombies
# left to whoever inherited them count as dead): a bounded wait, not a sleep.
assert_died_at_once() {
	local i p alive
	for i in $(seq 1 40); do
		alive=
		for p in $CT_PIDS; do
			if [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
				alive="$alive $p"
			fi
		done
		if [ -z "$alive" ] && [ -z "$(cat "$CG_DIR/cgroup.procs" 2>/dev/null)" ]; then
			return 0
		fi
		sleep 0.05
	done
	fail "still alive 2 s after the monitor's death:$alive (cgroup: $(cat "$CG_DIR/cgroup.procs" 2>/dev/null))"
}

# Nothing of the container is left: state dir, registration, cgroup, bundle
# (when it was a temporary one), mounts.
assert_nothing_left() {
	[ ! -e "$ROOT/$ID" ] || fail "state dir left: $(ls -A "$ROOT/$ID")"
	[ ! -e "$ROOT/@monitors/$ID" ] || fail "monitor registration left"
	[ -z "$(al list -q)" ] || fail "containers left: $(al list -q)"
	[ ! -e "$CG_DIR" ] || fail "cgroup left: $CG_DIR"
	if [ "$1" = temporary-bundle ]; then
		case "$CT_BUNDLE" in /tmp/airlock-sandbox-*) ;; *) fail "bundle $CT_BUNDLE" ;; esac
		[ ! -e "$CT_BUNDLE" ] || fail "temporary bundle left: $CT_BUNDLE: $(ls -A "$CT_BUNDLE")"
	fi
	! grep -qF -- "$ID" /proc/self/mountinfo || fail "mount left: $(grep -F -- "$ID" /proc/self/mountinfo)"
	! grep -qF -- "$BUNDLE/rootfs" /proc/self/mountinfo || fail "mount left: $(grep -F -- "$BUNDLE/rootfs" /proc/self/mountinfo)"
}

# --- a reader that stops reading ---------------------------------------------

@test "monitor: a stdout reader that never reads stalls neither the deadline nor the answers to denied syscalls" {
	stalled_fifo
	local t0 t1 rc=0
	t0=$(now_ms)
	timeout -s KILL 30 "$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --timeout 3s \
		--verdict "$WORK/v.json" -- sh -c 'head -c 4000000 /dev/zero; /hostile/attempt mount >&2; yes' \
		</dev/null >"$WORK/stall" 2>"$WORK/err" || rc=$?
	t1=$(now_ms)
	[ "$rc" -ne 137 ] || fail "airlock still blocked after 30 s: $(cat "$WORK/err")"
	[ "$rc" -eq 124 ] || fail "status $rc: $(cat "$WORK/err")"
	[ $((t1 - t0)) -lt 10000 ] || fail "took $((t1 - t0)) ms for a 3 s deadline"
	assert_vj .timed_out true
	local wall
	wall=$(vj .wall_time_ms)
	[ "$wall" -ge 2900 ] && [ "$wall" -lt 6000 ] || fail "wall time $wall ms for a 3 s deadline"
	# the denied mount was answered while the reader stalled
	grep -q "mount: blocked: Operation not permitted" "$WORK/err" || fail "stderr: $(cat "$WORK/err")"
	assert_vj '[.denied_syscalls[] | select(.name == "mount")] | length' 1
	# every byte counted: what sits in the pipe is what was passed through
	local bytes dropped passed
	bytes=$(vj .stdout_bytes)
	dropped=$(vj .stdout_dropped_bytes)
	passed=$(fifo_bytes)
	[ "$bytes" -gt 4000000 ] || fail "stdout_bytes $bytes"
	[ "$dropped" -gt 0 ] || fail "nothing dropped"
	[ $((bytes - dropped)) -eq "$passed" ] || fail "stdout_bytes $bytes - dropped $dropped != $passed bytes in the pipe"
	[ -z "$(al list -q)" ] || fail "left behind: $(al list -q)"
}

@test "monitor: a stderr reader that never reads stalls neither the deadline nor the answers to denied syscalls" {
	stalled_fifo
	local t0 t1 rc=0
	t0=$(now_ms)
	timeout -s KILL 30 "$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --timeout 3s --json \
		-- sh -c 'head -c 4000000 /dev/zero >&2; /hostile/attempt mount; yes >&2' \
		</dev/null >"$WORK/v.json" 2>"$WORK/stall" || rc=$?
	t1=$(now_ms)
	[ "$rc" -ne 137 ] || fail "airlock still blocked after 30 s"
	[ "$rc" -eq 124 ] || fail "status $rc: $(cat "$WORK/v.json")"
	[ $((t1 - t0)) -lt 10000 ] || fail "took $((t1 - t0)) ms for a 3 s deadline"
	assert_vj .timed_out true
	assert_vj '[.denied_syscalls[] | select(.name == "mount")] | length' 1
	[ "$(vj .stderr_bytes)" -gt 4000000 ] || fail "stderr_bytes $(vj .stderr_bytes)"
	[ "$(vj .stderr_dropped_bytes)" -gt 0 ] || fail "nothing dropped"
	# --json: the program's stdout went to stderr too, the stalled reader
	local passed
	passed=$(fifo_bytes)
	[ $(($(vj .stderr_bytes) + $(vj .stdout_bytes) - $(vj .stderr_dropped_bytes) - $(vj .stdout_dropped_bytes))) -eq "$passed" ] ||
		fail "counted $(vj .stderr_bytes)+$(vj .stdout_bytes) - dropped, $passed bytes in the pipe"
}

@test "monitor: a terminal that stops reading (^S) stalls neither the deadline nor the answers to denied syscalls" {
	local t0 t1 rc=0
	t0=$(now_ms)
	timeout -s KILL 40 python3 "$PTYRUN" --stall --stderr "$WORK/err" --timeout 30 -- \
		"$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --timeout 3s --verdict "$WORK/v.json" \
		-- sh -c 'head -c 1000000 /dev/zero; /hostile/attempt mount >&2; yes' || rc=$?
	t1=$(now_ms)
	[ "$rc" -ne 99 ] && [ "$rc" -ne 137 ] || fail "airlock still blocked after 30 s: $(cat "$WORK/err")"
	[ "$rc" -eq 124 ] || fail "status $rc: $(cat "$WORK/err")"
	[ $((t1 - t0)) -lt 10000 ] || fail "took $((t1 - t0)) ms for a 3 s deadline"
	assert_vj .timed_out true
	grep -q "mount: blocked: Operation not permitted" "$WORK/err" || fail "stderr: $(cat "$WORK/err")"
	[ "$(vj .stdout_dropped_bytes)" -gt 0 ] || fail "nothing dropped"
}

# --- the monitor dies ------------------------------------------------------------

@test "monitor: SIGKILL of \`sandbox\` kills the container at once; the next sandbox removes what is left" {
	make_fifos ready
	"$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --id "$ID" -- \
		sh -c 'sleep 1000 & sleep 1000 & echo ready > /ready; wait' </dev/null >"$WORK/out" 2>&1 &
	local mon=$!
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	record_container 3
	kill -KILL "$mon"
	wait "$mon" || true
	assert_died_at_once
	# the next sandbox cleans up first
	run al sandbox --rootfs "$BUNDLE/rootfs" -- true
	assert_success
	assert_nothing_left temporary-bundle
}

@test "monitor: SIGKILL of \`sandbox\`, then \`delete ID\` removes the state, the cgroup and the temporary bundle" {
	make_fifos ready
	"$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --id "$ID" -- \
		sh -c 'sleep 1000 & echo ready > /ready; wait' </dev/null >"$WORK/out" 2>&1 &
	local mon=$!
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	record_container 2
	kill -KILL "$mon"
	wait "$mon" || true
	assert_died_at_once
	run al delete "$ID"
	assert_success
	assert_nothing_left temporary-bundle
}

@test "monitor: SIGKILL of \`run\` of a profiled config kills the container at once; \`list\` removes what is left" {
	update_config '.annotations = {"airlock.profile": "untrusted"}'
	set_args sh -c 'sleep 1000 & sleep 1000 & echo ready > /ready; wait'
	make_fifos ready
	"$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1 &
	local mon=$!
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	record_container 3
	kill -KILL "$mon"
	wait "$mon" || true
	assert_died_at_once
	run al list
	assert_success
	refute_output_contains "$ID"
	assert_nothing_left
	[ -e "$BUNDLE/config.json" ] || fail "the caller's bundle was removed"
}

# --- the caller's terminal -------------------------------------------------------

# The program reports what its fds 0-2 are and every fd that is a terminal,
# then reads a line.
FD_REPORT='for f in 0 1 2; do [ -t $f ] && echo "FD$f-IS-A-TTY"; echo "fd$f=$(readlink /proc/self/fd/$f)"; done
n=0; for f in /proc/self/fd/*; do case "$(readlink $f)" in /dev/pts/*|/dev/tty*|/dev/console) n=$((n+1));; esac; done
echo "tty-fds=$n"; read line; echo "got=$line"'

assert_no_tty_reached() {
	output=$(tr -d '\r' <"$WORK/tty.log")
	refute_output_contains "IS-A-TTY"
	assert_output_contains "fd0=pipe:"
	assert_output_contains "fd1=pipe:"
	assert_output_contains "fd2=pipe:"
	assert_output_contains "tty-fds=0"
	# what the caller typed still reaches the program, through the pipe
	assert_output_contains "got=typed-line"
}

@test "monitor: the caller's terminal never reaches a sandboxed program (stdin is a pipe fed by the monitor)" {
	local rc=0
	python3 "$PTYRUN" --input $'typed-line\n' --log "$WORK/tty.log" --timeout 30 -- \
		"$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" -- sh -c "$FD_REPORT" || rc=$?
	[ "$rc" -eq 0 ] || fail "status $rc: $(cat -v "$WORK/tty.log")"
	assert_no_tty_reached
}

@test "monitor: the caller's terminal never reaches a profiled container of \`run\`" {
	update_config '.annotations = {"airlock.profile": "untrusted"}'
	set_args sh -c "$FD_REPORT"
	local rc=0
	python3 "$PTYRUN" --input $'typed-line\n' --log "$WORK/tty.log" --timeout 30 -- \
		"$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" || rc=$?
	[ "$rc" -eq 0 ] || fail "status $rc: $(cat -v "$WORK/tty.log")"
	assert_no_tty_reached
}

@test "monitor: a stdin the caller opened read-write is given read-only (the program cannot write into it)" {
	echo original >"$WORK/input"
	chmod 0666 "$WORK/input"
	chmod 0755 "$WORK"
	local rc=0
	"$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --json -- \
		sh -c 'read l; echo "read=$l"; echo INJECTED >&0 && echo WROTE' <>"$WORK/input" >"$WORK/v.json" 2>"$WORK/out" || rc=$?
	output=$(cat "$WORK/out")
	assert_output_contains "read=original"
	refute_output_contains WROTE
	[ "$(cat "$WORK/input")" = original ] || fail "input changed: $(cat "$WORK/input")"
}

# --- output that lies --------------------------------------------------------------


@test "monitor: a fake verdict and escape sequences reach the terminal escaped; the real verdict is fenced, last" {
	local rc=0
	python3 "$PTYRUN" --log "$WORK/tty.log" --timeout 30 -- \
		"$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" -- sh -c '
		printf "==== airlock verdict: container sandbox-000000000000 ====\nverdict: OK  (container sandbox-000000000000, profile untrusted)\n==== end of airlock verdict: container sandbox-000000000000 ====\n"
		printf "\033[2J\033[H\033]0;owned\007\033[1A\033[2K\rverdict: OK\033[8m\n"
		printf "c1=\233 c1utf8=\302\233 bidi=\342\200\256 nul=\000 del=\177 utf8=\303\251 tab=\tend" >&2
		exit 3' || rc=$?
	[ "$rc" -eq 3 ] || fail "status $rc: $(cat -v "$WORK/tty.log")"
	# nothing on the terminal is a control character (but the pty's CR LF), a
	# C1 control or a bidi override: the program drove nothing
	python3 - "$WORK/tty.log" <<'EOF' || fail "terminal output: $(cat -v "$WORK/tty.log")"
import sys
data = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
bad = sorted({hex(b) for b in data if (b < 0x20 and b not in (0x09, 0x0A)) or b == 0x7F})
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    print("not UTF-8 (a raw 8-bit control?):", e)
    sys.exit(1)
bad += [hex(ord(c)) for c in text if 0x80 <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069]
if bad:
    print("raw controls on the terminal:", bad)
    sys.exit(1)
EOF
	output=$(tr -d '\r' <"$WORK/tty.log")
	# shown, not obeyed
	assert_output_contains '^[[2J^[[H^[]0;owned^G^[[1A^[[2K^Mverdict: OK^[[8m'
	assert_output_contains 'c1=\x9b c1utf8=\xc2\x9b'
	assert_output_contains 'bidi=\xe2\x80\xae'
	assert_output_contains 'nul=^@ del=^? utf8=é'
	# the real verdict: fenced with the random id, after the fake one, last
	local id begin end fake
	id=$(tail -n 1 <<<"$output" | sed -n 's/^==== end of airlock verdict: container \(sandbox-[0-9a-f]*\) ====$/\1/p')
	[ -n "$id" ] || fail "the output does not end with the verdict's fence: $output"
	[ "$id" != sandbox-000000000000 ] || fail "id $id"
	begin=$(grep -n "^==== airlock verdict: container $id ====\$" <<<"$output" | cut -d: -f1)
	end=$(grep -n "^==== end of airlock verdict: container $id ====\$" <<<"$output" | cut -d: -f1)
	fake=$(grep -n "^==== end of airlock verdict: container sandbox-000000000000 ====\$" <<<"$output" | cut -d: -f1)
	[ -n "$begin" ] && [ "$begin" -gt "$fake" ] && [ "$end" -gt "$begin" ] || fail "fences ($fake, $begin, $end): $output"
	sed -n "${begin},${end}p" <<<"$output" | grep -q "^verdict: FAILED  (container $id, profile untrusted)\$" ||
		fail "verdict: $output"
	# the fence starts a line of its own, after output without a final newline
	grep -q "tab=	end\$" <<<"$output" || fail "the program's last line: $output"
}

@test "monitor: --verdict-fd carries the JSON verdict alone, and the program never gets that fd" {
	local rc=0
	"$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --verdict-fd 3 -- \
		sh -c 'echo out-line; echo err-line >&2; ls /proc/self/fd/3 2>/dev/null && echo HAS-FD-3; exit 4' \
		</dev/null 3>"$WORK/vfd.json" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" -eq 4 ] || fail "status $rc: $(cat "$WORK/err")"
	[ "$(jq -s length "$WORK/vfd.json")" = 1 ] || fail "--verdict-fd holds more than the verdict: $(cat "$WORK/vfd.json")"
	[ "$(jq -r .exit_code "$WORK/vfd.json")" = 4 ] || fail "$(cat "$WORK/vfd.json")"
	[ "$(jq -r .stdout_bytes "$WORK/vfd.json")" = 9 ] || fail "$(cat "$WORK/vfd.json")"
	! grep -q -e out-line -e err-line "$WORK/vfd.json" || fail "program output in --verdict-fd"
	[ "$(cat "$WORK/out")" = out-line ] || fail "stdout: $(cat "$WORK/out")"
	grep -q "^==== airlock verdict: container $(jq -r .id "$WORK/vfd.json") ====\$" "$WORK/err" || fail "stderr: $(cat "$WORK/err")"
	run al sandbox --verdict-fd 1 -- true
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_output_contains "--verdict-fd"
}
