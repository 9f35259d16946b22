#!/usr/bin/env bats
# Container escapes through what the runtime holds while it sets a process
# up (CVE-2024-21626: a leaked host directory fd as process.cwd, then "..")
# and through the caller's terminal (CVE-2017-5226: TIOCSTI into the shell
# that started the container). As the attacker: every fd number the runtime
# or its caller could hold, every /proc path to it, every way in (run,
# create+start, exec --cwd, exec -p, a profiled run), a cwd to be created
# through a symlink, and a container process typing into the caller's pty.
# No container process may ever run with a cwd outside its root, create a
# directory on the host, share the caller's session or type into its tty.
# Airlock only: the messages checked are airlock's.

load ../helpers

setup_file() {
	export AIRLOCK_PROFILES_DIR=$BATS_TEST_DIRNAME/../../specs/profiles
	HOSTILE_BIN=$BATS_FILE_TMPDIR/hostile
	mkdir -p "$HOSTILE_BIN"
	local src
	for src in "$BATS_TEST_DIRNAME"/*.c; do
		gcc -static -O2 -Wall -Wextra -Werror -o "$HOSTILE_BIN/$(basename "${src%.c}")" "$src" || return 1
	done
	export HOSTILE_BIN
}

setup() {
	al_setup
	is_airlock || skip "these cases check airlock's own messages"
	mkdir -p "$BUNDLE/rootfs/hostile"
	cp "$HOSTILE_BIN"/* "$BUNDLE/rootfs/hostile/"
	# A host directory the caller has open, with a marker no container
	# should ever see.
	HOSTDIR=$TESTDIR/hostdir
	mkdir -p "$HOSTDIR"
	echo secret >"$HOSTDIR/HOST-MARKER"
	update_config '.process.terminal = false'
	PTYRUN=$BATS_TEST_DIRNAME/ptyrun.py
}

teardown() { al_teardown; }

# Run in the container: report any sign that its cwd is outside its root.
# From a cwd inside the root, climbing ".." ends at the container's "/";
# from a host directory it ends at the host's "/", where $HOSTDIR is.
probe() {
	cat <<EOF
up=../../../../../../../../../../../../../../../..
[ -e HOST-MARKER ] && echo ESCAPED: the cwd is the host dir
[ -e "\$up$HOSTDIR/HOST-MARKER" ] && echo ESCAPED: the host marker is reachable from the cwd
[ "\$(stat -c %d:%i "\$up")" = "\$(stat -c %d:%i /)" ] || echo ESCAPED: the cwd is outside the root
echo "probe-done cwd=\$(readlink /proc/self/cwd)"
EOF
}

# The paths to an fd of the runtime (or of its caller) a config may give as
# process.cwd: every number in 3..64 and some high ones through
# /proc/self/fd, fewer through the other names of the same links.
cwd_candidates() {
	local n
	for n in $(seq 3 64) 100 200 255 1023; do
		echo "/proc/self/fd/$n"
	done
	for n in $(seq 3 16) 200; do
		echo "/proc/thread-self/fd/$n"
		echo "/proc/1/fd/$n"
		echo "/proc/self/fd/$n/.."
		echo "/proc/self/fd/$n/sub"
	done
	echo /proc/self/cwd
	echo /proc/1/cwd
	echo /proc/self/root
	echo /proc/self/root/..
	echo /proc/1/root
	echo /proc/self/fd/../fd/7
	echo /proc/../proc/self/fd/7
	echo /proc/self/task/1/cwd
}

# $1: what was tried; $status/$output: the outcome. Either a clear refusal
# naming process.cwd, or the probe ran and saw nothing of the host. Every
# case is tried; the escapes, then the unclear outcomes, are listed by
# assert_all_contained.
check_case() {
	case "$output" in
	*ESCAPED*) echo "$1: $output" >>"$WORK/escapes" ;;
	esac
	if [ -e "$HOSTDIR/sub" ]; then
		echo "$1: created $HOSTDIR/sub on the host" >>"$WORK/escapes"
		rmdir "$HOSTDIR/sub"
	fi
	if [ "$status" -eq 0 ]; then
		case "$output" in
		*probe-done*) ;;
		*) echo "$1: the probe did not run: $output" >>"$WORK/unclear" ;;
		esac
	else
		case "$output" in
		*"process.cwd \""*) ;;
		*) echo "$1: status $status without a process.cwd error: $output" >>"$WORK/unclear" ;;
		esac
	fi
	cases=$((${cases:-0} + 1))
}

assert_all_contained() {
	[ ! -s "$WORK/escapes" ] || fail "escaped in $(wc -l <"$WORK/escapes") of $cases cases: $(cat "$WORK/escapes")"
	[ ! -s "$WORK/unclear" ] || fail "unclear outcome in $(wc -l <"$WORK/unclear") of $cases cases: $(cat "$WORK/unclear")"
	[ "$cases" -ge "${1:-1}" ] || fail "only $cases cases tried"
}

@test "escape: run with process.cwd on any leaked fd never starts outside the root" {
	set_args sh -c "$(probe)"
	local cwd
	# The caller leaks host directories: a low fd, a high one, the host's /.
	exec 7<"$HOSTDIR" 200<"$HOSTDIR" 9</
	while read -r cwd; do
		update_config --arg c "$cwd" '.process.cwd = $c'
		run al run --bundle "$BUNDLE" "$ID" </dev/null
		check_case "run, process.cwd $cwd"
	done < <(cwd_candidates)
	exec 7<&- 200<&- 9<&-
	assert_all_contained 100
	# The messages: the caller's fd is gone by then; stdin is still there,
	# but as a magic link.
	update_config '.process.cwd = "/proc/self/fd/7"'
	exec 7<"$HOSTDIR"
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	exec 7<&-
	assert_failure
	assert_output "airlock: container \"$ID\": process.cwd \"/proc/self/fd/7\": create /proc/self/fd/7 inside the rootfs: No such file or directory"
	update_config '.process.cwd = "/proc/self/fd/0"'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output "airlock: container \"$ID\": process.cwd \"/proc/self/fd/0\": goes through a magic link (/proc/PID/fd/N, /proc/PID/cwd, ...) or a symlink loop: refusing to run: Too many levels of symbolic links"
}

@test "escape: create + start with process.cwd on a leaked fd" {
	set_args sh -c "$(probe)"
	local cwd id i=0 out=$WORK/out st cat_pid
	mkfifo "$WORK/fifo"
	exec 7<"$HOSTDIR" 200<"$HOSTDIR"
	for cwd in $(seq -f '/proc/self/fd/%g' 3 24) /proc/self/fd/200 /proc/1/fd/7 /proc/thread-self/fd/200; do
		i=$((i + 1))
		id=$ID-$i
		update_config --arg c "$cwd" '.process.cwd = $c'
		# The container's output comes through the FIFO; its end (create
		# failed, or the program exited) is the FIFO's EOF.
		cat "$WORK/fifo" >"$out" &
		cat_pid=$!
		st=0
		al create --bundle "$BUNDLE" "$id" >"$WORK/fifo" 2>&1 </dev/null || st=$?
		[ "$st" -ne 0 ] || al start "$id" || st=$?
		wait "$cat_pid"
		status=$st
		output=$(cat "$out")
		check_case "create+start, process.cwd $cwd"
		al delete --force "$id" >/dev/null 2>&1 || true
	done
	exec 7<&- 200<&-
	assert_all_contained 25
}

# A running container for exec tests; its init waits for ever.
start_sleeper() {
	set_args sleep 100000
	al run -d --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1 || fail "run -d: $(cat "$WORK/out")"
}

@test "escape: exec --cwd on any leaked fd never runs outside the root" {
	start_sleeper
	local cwd
	exec 7<"$HOSTDIR" 200<"$HOSTDIR" 9</
	while read -r cwd; do
		run al exec --cwd "$cwd" "$ID" sh -c "$(probe)" </dev/null
		check_case "exec --cwd $cwd"
	done < <(cwd_candidates)
	exec 7<&- 200<&- 9<&-
	assert_all_contained 100
	exec 7<"$HOSTDIR"
	run al exec --cwd /proc/self/fd/7 "$ID" true </dev/null
	exec 7<&-
	assert_failure
	assert_output "airlock: container \"$ID\": exec: process.cwd \"/proc/self/fd/7\": No such file or directory"
	run al exec --cwd /proc/self/fd/0 "$ID" true </dev/null
	assert_failure
	assert_output_contains "container \"$ID\": exec: process.cwd \"/proc/self/fd/0\": goes through a magic link"
}

@test "escape: exec -p with process.cwd on a leaked fd" {
	start_sleeper
	local cwd
	exec 7<"$HOSTDIR" 200<"$HOSTDIR" 9</
	for cwd in $(seq -f '/proc/self/fd/%g' 3 32) /proc/self/fd/200 /proc/1/fd/7 /proc/self/cwd /proc/1/root; do
		jq -n --arg c "$cwd" --arg s "$(probe)" '{args: ["sh", "-c", $s], cwd: $c, env: ["PATH=/bin"]}' >"$WORK/p.json"
		run al exec -p "$WORK/p.json" "$ID" </dev/null
		check_case "exec -p, cwd $cwd"
	done
	exec 7<&- 200<&- 9<&-
	assert_all_contained 34
}

@test "escape: a profiled run (airlock.profile=untrusted) with process.cwd on a leaked fd" {
	set_args sh -c "$(probe)"
	update_config '.annotations["airlock.profile"] = "untrusted"'
	local cwd
	exec 7<"$HOSTDIR" 200<"$HOSTDIR" 9</
	for cwd in $(seq -f '/proc/self/fd/%g' 3 32) /proc/self/fd/200 /proc/1/fd/7 /proc/thread-self/fd/9; do
		update_config --arg c "$cwd" '.process.cwd = $c'
		run al run --bundle "$BUNDLE" "$ID" </dev/null
		check_case "profiled run, process.cwd $cwd"
	done
	exec 7<&- 200<&- 9<&-
	assert_all_contained 33
}

@test "escape: a missing process.cwd is created inside the root only" {
	update_config '.root.readonly = false'
	set_args sh -c "$(probe)"
	# Through the caller's fd: refused, nothing made on the host.
	exec 7<"$HOSTDIR"
	update_config '.process.cwd = "/proc/self/fd/7/made"'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "process.cwd \"/proc/self/fd/7/made\""
	[ ! -e "$HOSTDIR/made" ] || fail "created $HOSTDIR/made on the host"
	# Through a symlink of the rootfs to that fd.
	ln -s /proc/self/fd/7 "$BUNDLE/rootfs/esc"
	update_config '.process.cwd = "/esc/made2"'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	exec 7<&-
	assert_failure
	assert_output_contains "process.cwd \"/esc/made2\""
	[ ! -e "$HOSTDIR/made2" ] || fail "created $HOSTDIR/made2 on the host"
	# Through a symlink climbing out with "..": kept inside the rootfs.
	ln -s "../../../../../../../../../..$HOSTDIR" "$BUNDLE/rootfs/up"
	update_config '.process.cwd = "/up/made3/deeper"'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output_contains "probe-done cwd=$HOSTDIR/made3/deeper"
	refute_output_contains ESCAPED
	[ ! -e "$HOSTDIR/made3" ] || fail "created $HOSTDIR/made3 on the host"
	[ -d "$BUNDLE/rootfs$HOSTDIR/made3/deeper" ] || fail "not created in the rootfs"
	# A plain missing cwd is still made, as before.
	update_config '.process.cwd = "/new/cwd"'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output_contains "probe-done cwd=/new/cwd"
}

@test "escape: a caller's closed or directory stdio never reaches the container" {
	set_args sh -c "$(probe)"'
		for fd in 0 1 2; do [ -d /proc/self/fd/$fd ] && echo "ESCAPED: fd $fd is a directory"; done; true'
	# Closed stdin: the runtime's first open would land on fd 0.
	local cwd
	for cwd in /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 /; do
		update_config --arg c "$cwd" '.process.cwd = $c'
		run al run --bundle "$BUNDLE" "$ID" <&-
		check_case "closed stdin, process.cwd $cwd"
	done
	assert_all_contained 4
	# A host directory as stdin would be a way out (cd /proc/self/fd/0):
	# refused.
	update_config '.process.cwd = "/"'
	set_args sh -c "cd /proc/self/fd/0 || exit 0; $(probe)"
	run al run --bundle "$BUNDLE" "$ID" <"$HOSTDIR"
	refute_output_contains ESCAPED
	assert_failure
	assert_output_contains "container \"$ID\": stdio: fd 0 is a directory: refusing to hand it to the container"
	start_sleeper
	run al exec "$ID" sh -c "cd /proc/self/fd/0 || exit 0; $(probe)" <"$HOSTDIR"
	refute_output_contains ESCAPED
	assert_failure
	assert_output_contains "container \"$ID\": exec: stdio: fd 0 is a directory"
}

@test "escape: the init holds none of the runtime's or the caller's fds when it runs hooks" {
	# createContainer and startContainer hooks are run by the init: each
	# lists the fds of its parent, the init, at that moment.
	cat >"$WORK/hook.sh" <<'EOF'
#!/bin/sh
read -r a b c pp rest </proc/self/stat
for f in /proc/$pp/fd/*; do echo "$1 $f -> $(readlink "$f")"; done >>"$2"
EOF
	chmod +x "$WORK/hook.sh"
	cp "$WORK/hook.sh" "$BUNDLE/rootfs/hook.sh"
	update_config --arg h "$WORK/hook.sh" --arg o "$WORK/hook.out" '.root.readonly = false
		| .hooks.createContainer = [{path: $h, args: ["hook", "createContainer", $o]}]
		| .hooks.startContainer = [{path: "/hook.sh", args: ["hook", "startContainer", "/start.out"]}]'
	set_args cat /start.out
	exec 7<"$HOSTDIR" 200<"$HOSTDIR"
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	exec 7<&- 200<&-
	assert_success
	output="$output
$(cat "$WORK/hook.out")"
	assert_output_contains "startContainer /proc/"
	assert_output_contains "createContainer /proc/"
	refute_output_contains "$HOSTDIR"
	refute_output_contains /sys/fs/cgroup
	# One pidfd: the init's own, of the hook it waits for.
	local phase
	for phase in createContainer startContainer; do
		[ "$(grep -c "^$phase .*pidfd" <<<"$output")" -le 1 ] || fail "pidfds open in the init: $output"
	done
	if grep -E -- "-> $ROOT(/$ID)?\$" <<<"$output"; then
		fail "the state dir is open in the init: $output"
	fi
}

# --- the terminal session --------------------------------------------------

# The container's session, controlling tty and a TIOCSTI attempt into its
# stdin, the caller's terminal.
SESSION_PROBE='read -r a b c d e sid tty rest </proc/self/stat
echo "session=$sid tty_nr=$tty"
(: >/dev/tty) 2>/dev/null && echo "HAS-CTTY: /dev/tty opens"
/hostile/tiocsti "echo INJECTED"; true'

# $output of ptyrun.py: the container had a session of its own, no
# controlling tty, and nothing reached the caller's terminal input.
assert_own_session() {
	assert_output_contains "tty_nr=0"
	refute_output_contains "session=0 " # 0: a session led outside its pid namespace
	refute_output_contains HAS-CTTY
	assert_output_contains "tiocsti: 0 of 13 injected"
	assert_output_contains "PTY-INPUT: b''"
}

@test "session: run in the foreground under a terminal: own session, no controlling tty, no TIOCSTI" {
	set_args sh -c "$SESSION_PROBE"
	run python3 "$PTYRUN" --raw -- "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_success
	assert_own_session
	assert_output_contains "session=1 "
}

@test "session: create + start from a terminal: own session" {
	set_args sh -c "$SESSION_PROBE"
	mkfifo "$WORK/fifo"
	# create gives the init the pty as its stdin and the FIFO as its output;
	# the FIFO's EOF says the program is done before the pty is read.
	run python3 "$PTYRUN" --raw -- sh -c "cat '$WORK/fifo' >'$WORK/out' & c=\$!
		'$AIRLOCK' --root '$ROOT' create --bundle '$BUNDLE' '$ID' >'$WORK/fifo' 2>&1 && '$AIRLOCK' --root '$ROOT' start '$ID'
		wait \$c"
	assert_success
	output="$output
$(cat "$WORK/out")"
	assert_own_session
}

@test "session: exec (without -t) from a terminal: own session, no controlling tty, no TIOCSTI" {
	start_sleeper
	run python3 "$PTYRUN" --raw -- "$AIRLOCK" --root "$ROOT" exec "$ID" sh -c "$SESSION_PROBE"
	assert_success
	assert_own_session
}

@test "session: sandbox from a terminal: no TIOCSTI into it" {
	run python3 "$PTYRUN" --raw -- "$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" -- sh -c "$SESSION_PROBE"
	assert_success
	refute_output_contains HAS-CTTY
	refute_output_contains "tiocsti: 13 of 13"
	assert_output_contains "PTY-INPUT: b''"
}

@test "session: with process.terminal the new pty is the controlling tty of the new session" {
	update_config '.process.terminal = true'
	set_args sh -c 'read -r a b c d e sid tty rest </proc/self/stat; echo "session=$sid tty_nr=$tty pid=$$"; tty; (: >/dev/tty) && echo ctty-ok'
	run python3 "$PTYRUN" -- "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_success
	assert_output_contains "session=1 "
	refute_output_contains "tty_nr=0 "
	assert_output_contains /dev/pts/0
	assert_output_contains ctty-ok
	# exec -t: its own pty and session too.
	update_config '.process.terminal = false'
	start_sleeper
	run python3 "$PTYRUN" -- "$AIRLOCK" --root "$ROOT" exec -t "$ID" sh -c 'read -r a b c d e sid tty rest </proc/self/stat; echo "session=$sid tty_nr=$tty pid=$$"; (: >/dev/tty) && echo ctty-ok'
	assert_success
	refute_output_contains "session=0 "
	refute_output_contains "tty_nr=0 "
	assert_output_contains ctty-ok
}

@test "session: Ctrl-C on the caller's terminal still reaches the container (forwarded)" {
	set_args sh -c 'trap "echo got-INT; exit 5" INT; echo ready; while :; do sleep 0.1; done'
	run python3 "$PTYRUN" --timeout 30 --send-after ready '\x03' -- "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_status 5
	assert_output_contains got-INT
	# exec in the foreground too.
	start_sleeper
	run python3 "$PTYRUN" --timeout 30 --send-after ready '\x03' -- "$AIRLOCK" --root "$ROOT" exec "$ID" \
		sh -c 'trap "echo got-INT; exit 6" INT; echo ready; while :; do sleep 0.1; done'
	assert_status 6
	assert_output_contains got-INT
}

@test "session: Ctrl-C reaches a sandboxed program (the monitor forwards it)" {
	run python3 "$PTYRUN" --timeout 30 --send-after ready '\x03' -- "$AIRLOCK" --root "$ROOT" sandbox \
		--rootfs "$BUNDLE/rootfs" -- sh -c 'trap "echo got-INT; exit 7" INT; echo ready; while :; do sleep 0.1; done'
	assert_output_contains got-INT
	assert_status 7
}
