# helpers.bash: shared setup for the airlock integration tests (bats).
# Every test gets its own state root ($ROOT), bundle ($BUNDLE, a busybox rootfs
# from hack/mkbundle.sh) and scratch dir ($WORK); teardown force-deletes every
# container under $ROOT and checks nothing leaked.
# Run against another runtime with AIRLOCK=/usr/sbin/runc bats integration.

# Relative to this file, so that bats files in subdirectories can load it.
AL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AIRLOCK=${AIRLOCK:-$AL_TOP/build/airlock}
MKBUNDLE=$AL_TOP/hack/mkbundle.sh
export AIRLOCK
# This host's cgroup2 tree may lack the memory controller: a profiled
# container is then refused unless the caller opts in. The tests opt in
# (hostile/memory.bats checks the bounds that still hold, and the refusal);
# set AIRLOCK_MISSING_CONTROLLERS=refuse (or empty) to run without.
export AIRLOCK_MISSING_CONTROLLERS=${AIRLOCK_MISSING_CONTROLLERS-warn}

# True when the runtime under test is airlock (not runc): guards tests of
# airlock-only behaviour such as its cgroup v2 placement.
is_airlock() {
	if [ -z "${AL_IS_AIRLOCK:-}" ]; then
		AL_IS_AIRLOCK=no
		if "$AIRLOCK" --version 2>/dev/null | grep -q airlock; then
			AL_IS_AIRLOCK=yes
		fi
	fi
	[ "$AL_IS_AIRLOCK" = yes ]
}

# Error messages: airlock names the object (id, path); runc often does not.
# Checked only when the runtime is airlock.
assert_airlock_output_contains() {
	if is_airlock; then
		assert_output_contains "$1"
	fi
}

al_setup() {
	TESTDIR=$(mktemp -d /tmp/al-it.XXXXXX)
	ROOT=$TESTDIR/root
	BUNDLE=$TESTDIR/bundle
	WORK=$TESTDIR/work
	mkdir -p "$ROOT" "$WORK"
	# Traversable by a container's mapped root (user namespace tests).
	chmod 0755 "$TESTDIR"
	# Unique per run, so parallel runs and leftover cgroups never collide.
	ID=al${TESTDIR##*.}$BATS_TEST_NUMBER
	ID=$(echo "$ID" | tr 'A-Z' 'a-z')
	"$MKBUNDLE" "$BUNDLE" >/dev/null
}

al_teardown() {
	[ -n "${TESTDIR:-}" ] || return 0
	local id
	if [ -d "$ROOT" ]; then
		for id in $("$AIRLOCK" --root "$ROOT" list -q 2>/dev/null); do
			"$AIRLOCK" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	local leaked
	leaked=$(grep -F "$TESTDIR" /proc/self/mountinfo || true)
	rm -rf "$TESTDIR"
	if [ -n "$leaked" ]; then
		echo "leaked mounts: $leaked" >&2
		return 1
	fi
}

setup() { al_setup; }
teardown() { al_teardown; }

# The runtime with this test's --root.
al() {
	"$AIRLOCK" --root "$ROOT" "$@"
}

# Apply a jq filter to the bundle's config.json; jq options may come first:
#   update_config '.process.args = ["true"]'
#   update_config --arg p /x '.root.path = $p'
update_config() {
	local filter=${!#}
	local opts=("${@:1:$#-1}")
	jq "${opts[@]}" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# Set process.args to the given words.
set_args() {
	jq '.process.args = $ARGS.positional' "$BUNDLE/config.json" --args -- "$@" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# Run the container in the foreground with the given command (via sh -c);
# sets $status and $output like bats' run.
run_sh() {
	set_args sh -c "$1"
	run al run --bundle "$BUNDLE" "$ID" </dev/null
}

fail() {
	echo "$@" >&2
	return 1
}

assert_success() {
	if [ "$status" -ne 0 ]; then
		fail "expected success, got status $status; output: $output"
	fi
}

assert_failure() {
	if [ "$status" -eq 0 ]; then
		fail "expected failure, got status 0; output: $output"
	fi
}

assert_status() {
	if [ "$status" -ne "$1" ]; then
		fail "expected status $1, got $status; output: $output"
	fi
}

assert_output() {
	if [ "$output" != "$1" ]; then
		fail "expected output <<$1>>, got <<$output>>"
	fi
}

assert_output_contains() {
	case "$output" in
	*"$1"*) ;;
	*) fail "expected output to contain <<$1>>, got <<$output>>" ;;
	esac
}

refute_output_contains() {
	case "$output" in
	*"$1"*) fail "expected output not to contain <<$1>>, got <<$output>>" ;;
	*) ;;
	esac
}

# Field of `state ID` (jq path), e.g. state_field .status
state_field() {
	al state "${2:-$ID}" | jq -r "$1"
}

# Wait (bounded, ~10 s) until the container's status is $2. Only used where
# nothing else signals the change (e.g. the init exiting on its own).
wait_status() {
	local id=$1 want=$2 i s
	for i in $(seq 1 200); do
		s=$(al state "$id" 2>/dev/null | jq -r .status)
		[ "$s" = "$want" ] && return 0
		sleep 0.05
	done
	fail "container $id: status $s, wanted $want"
}

# Block until the container writes a line to fifo $1 (a host path under
# $BUNDLE/rootfs); times out after 10 s.
wait_fifo() {
	local line fd rc=0
	# O_RDWR never blocks in open, so the timeout covers the whole wait.
	exec {fd}<>"$1"
	read -r -t 10 -u "$fd" line || rc=$?
	exec {fd}<&-
	[ "$rc" -eq 0 ] || fail "timed out waiting on fifo $1"
	echo "$line"
}

# Host inode of a namespace link, e.g. ns_inode /proc/self/ns/net
ns_inode() {
	stat -L -c %i "$1"
}

# `create` with the container's stdio on files (a pipe would keep bats'
# `run` waiting for the container). Extra arguments go before the id.
create_container() {
	al create --bundle "$BUNDLE" "$@" "$ID" </dev/null >"$WORK/stdout" 2>"$WORK/stderr"
}

# Make fifos in the rootfs (host side), e.g. make_fifos ready go
make_fifos() {
	local f
	for f in "$@"; do
		mkfifo -m 0666 "$BUNDLE/rootfs/$f"
	done
}

# Start `run` of the container in the background running sh -c "$1";
# stdout/stderr go to $WORK/out. Collect it with wait_bg.
run_bg() {
	set_args sh -c "$1"
	shift
	al run --bundle "$BUNDLE" "$@" "$ID" </dev/null >"$WORK/out" 2>&1 &
	BG_PID=$!
}

# Wait for the run_bg runtime process; sets $status and $output.
wait_bg() {
	status=0
	wait "$BG_PID" || status=$?
	output=$(cat "$WORK/out")
}

# `run al create` with the container's stdio on a file, so a create that
# unexpectedly succeeds cannot keep bats waiting on the output pipe.
# Extra arguments go before the id; sets $status and $output.
run_create() {
	status=0
	al create --bundle "$BUNDLE" "$@" "$ID" </dev/null >"$WORK/create.out" 2>&1 || status=$?
	output=$(cat "$WORK/create.out")
	mapfile -t lines <<<"$output"
}

# Processes whose root is the bundle's rootfs (live container processes).
container_procs() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[ "$r" = "$BUNDLE/rootfs" ] && echo "${p#/proc/}"
	done
	return 0
}
