#!/usr/bin/env bats
# Tenants on one host: every container of the untrusted profile gets host
# uids/gids of its own from the profile's id pool (user.pool, runtime/lib/
# idpool.c), so the kernel's per-user accounting is per tenant. As the
# attacker: two sandboxes at once (disjoint ranges), a fork bomb at
# RLIMIT_NPROC and a pipe-buffer flood in one must not hurt the other;
# slots come back after delete, delete --force of a killed create and a
# failed create; a slot is not reclaimed while its create runs or while
# its processes live; exhaustion says which pool and how full it is.
# Helpers: hostile/tenant.c. Airlock only (runc has no profiles).

load ../helpers

POOL_DIR=/run/airlock-ids
POOL_START=1879048192 # untrusted.json: 0x70000000, 4094 slots of 65536
POOL_END=2147352575

setup_file() {
	export AIRLOCK_PROFILES_DIR=$BATS_TEST_DIRNAME/../../specs/profiles
	TENANT_BIN=$BATS_FILE_TMPDIR/tenant
	gcc -static -O2 -Wall -Wextra -Werror -o "$TENANT_BIN" "$BATS_TEST_DIRNAME/tenant.c" || return 1
	export TENANT_BIN
}

setup() {
	is_airlock || skip "airlock only: profiles and id pools are airlock's"
	al_setup
	mkdir -p "$BUNDLE/rootfs/hostile"
	cp "$TENANT_BIN" "$BUNDLE/rootfs/hostile/tenant"
	BG_PIDS=()
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	al_teardown
}

# Start a sandbox $1 (id suffix) in the background running tenant ARGS...;
# its verdict goes to $WORK/$1.json, its output to $WORK/$1.out.
sandbox_bg() {
	local name=$1
	shift
	al sandbox --id "$ID-$name" --rootfs "$BUNDLE/rootfs" --json --timeout 60s -- /hostile/tenant "$@" \
		</dev/null >"$WORK/$name.json" 2>"$WORK/$name.out" &
	BG_PIDS+=($!)
	eval "BG_$name=$!"
}

# Kill sandbox $1's container and wait for its airlock; the verdict is in.
sandbox_end() {
	local name=$1 pid
	eval "pid=\$BG_$name"
	al kill "$ID-$name" KILL
	wait "$pid" || true
}

# A foreground sandbox: $status, $output, $WORK/verdict.json.
sandbox_fg() {
	status=0
	al sandbox --rootfs "$BUNDLE/rootfs" --json "$@" </dev/null >"$WORK/verdict.json" 2>"$WORK/out" || status=$?
	output=$(cat "$WORK/out")
}

# Host range of a live container: "FIRST SIZE" from its init's uid_map.
init_map() {
	local pid
	pid=$(state_field .pid "$1")
	awk '{print $2, $3}' "/proc/$pid/${2:-uid}_map"
}

# Wait (bounded, ~10 s) until pid $1 (not our child) is gone or a zombie.
wait_dead() {
	local i
	for i in $(seq 1 200); do
		[ -e "/proc/$1/stat" ] || return 0
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	fail "pid $1 still alive"
}

# Slot files in the pool dir that name a container of this test's root.
our_slots() {
	grep -lF "\"root\":\"$ROOT\"" "$POOL_DIR"/[0-9]* 2>/dev/null || true
}

# `create` of the bundle as container $1, its stdio on a file (a created
# init would keep a `run` pipe open); sets $status and $output.
create_as() {
	status=0
	al create --bundle "$BUNDLE" "$1" </dev/null >"$WORK/create-$1.out" 2>&1 || status=$?
	output=$(cat "$WORK/create-$1.out")
}

# The bundle's config under profile $1 (default untrusted) running ARGS.
profiled_config() {
	local p=${1:-untrusted}
	shift
	set_args "$@"
	update_config --arg p "$p" '.annotations["airlock.profile"] = $p | del(.linux.resources)'
}

# A profile "tiny": untrusted with a pool of $1 slots at a per-run place
# (below the default pool), in $TESTDIR/profiles.
tiny_profile() {
	TINY_START=$((0x60000000 + (RANDOM % 4096) * 65536))
	mkdir -p "$TESTDIR/profiles"
	jq --argjson s "$TINY_START" --argjson n "$1" \
		'.name = "tiny" | .user.pool = {hostStart: $s, size: 65536, slots: $n}' \
		"$AIRLOCK_PROFILES_DIR/untrusted.json" >"$TESTDIR/profiles/tiny.json"
	export AIRLOCK_PROFILES_DIR=$TESTDIR/profiles
}

@test "idpool: two sandboxes at once get disjoint host ranges of the pool" {
	make_fifos ready-a ready-b
	sandbox_bg a hold /ready-a
	sandbox_bg b hold /ready-b
	[ "$(wait_fifo "$BUNDLE/rootfs/ready-a")" = ready ]
	[ "$(wait_fifo "$BUNDLE/rootfs/ready-b")" = ready ]
	local a b ga gb fa fb pa
	a=$(init_map "$ID-a")
	b=$(init_map "$ID-b")
	ga=$(init_map "$ID-a" gid)
	gb=$(init_map "$ID-b" gid)
	[ "$a" = "$ga" ] && [ "$b" = "$gb" ] || fail "uid and gid maps differ: $a / $ga, $b / $gb"
	fa=${a% *}
	fb=${b% *}
	[ "${a#* }" = 65536 ] && [ "${b#* }" = 65536 ] || fail "sizes: $a, $b"
	[ "$fa" -ne "$fb" ] || fail "both sandboxes on host ids $fa"
	[ $((fa > fb ? fa - fb : fb - fa)) -ge 65536 ] || fail "overlapping ranges: $a, $b"
	for f in "$fa" "$fb"; do
		[ "$f" -ge "$POOL_START" ] && [ $((f + 65535)) -le "$POOL_END" ] || fail "$f: outside the pool"
	done
	# What the host sees: the init runs as the first id of its range...
	pa=$(state_field .pid "$ID-a")
	[ "$(ps -o uid= -p "$pa" | tr -d ' ')" = "$fa" ] || fail "init of a runs as $(ps -o uid= -p "$pa")"
	# ... and `state` says so.
	[ "$(state_field .hostIDs.first "$ID-a")" = "$fa" ] || fail "$(al state "$ID-a")"
	[ "$(state_field .hostIDs.size "$ID-b")" = 65536 ] || fail "$(al state "$ID-b")"
	[ "$(our_slots | wc -l)" -eq 2 ] || fail "slot files: $(our_slots)"
	sandbox_end a
	sandbox_end b
	# The verdicts name the ranges; both slots are back.
	[ "$(jq -r .host_ids.first "$WORK/a.json")" = "$fa" ] || fail "$(cat "$WORK/a.json")"
	[ "$(jq -r .host_ids.first "$WORK/b.json")" = "$fb" ] || fail "$(cat "$WORK/b.json")"
	[ -z "$(our_slots)" ] || fail "slots left: $(our_slots)"
}

@test "idpool: a fork bomb at RLIMIT_NPROC in one sandbox does not stop another from forking" {
	# No pids controller here: the profile's pids limit is RLIMIT_NPROC.
	# Since Linux 5.14 the kernel counts it per user namespace as well
	# (ucounts); with one host uid for all it was one count for all.
	make_fifos ready-a
	sandbox_bg a nproc-hold /ready-a
	local held
	held=$(wait_fifo "$BUNDLE/rootfs/ready-a")
	case $held in
	"held "*": Resource temporarily unavailable") ;;
	*) fail "the bomb did not hit a limit: $held" ;;
	esac
	sandbox_fg --timeout 20s -- /hostile/tenant fork 20
	assert_success
	assert_output_contains "fork: 20 ok"
	[ "$(jq -r .host_ids.first "$WORK/verdict.json")" != "$(state_field .hostIDs.first "$ID-a")" ] ||
		fail "same host ids"
	sandbox_end a
}

@test "idpool: a pipe-buffer flood by one tenant does not shrink another tenant's pipes" {
	# fs.pipe-user-pages-soft is per host user: once a user's pipes hold
	# that many pages, every new pipe of that user gets 2 pages (8 KiB).
	make_fifos ready-a
	sandbox_bg a pipe-flood /ready-a
	local flood
	flood=$(wait_fifo "$BUNDLE/rootfs/ready-a")
	case $flood in
	"flooded "*": new pipe "*" bytes") ;;
	*) fail "flood: $flood" ;;
	esac
	local own=${flood##*new pipe }
	own=${own% bytes}
	[ "$own" -lt 65536 ] || fail "the flood did not reach the soft limit: $flood"
	sandbox_fg --timeout 20s -- /hostile/tenant pipe-size
	assert_success
	assert_output_contains "pipe size 65536"
	sandbox_end a
}

@test "idpool: delete releases the slot; exec takes none; a failed create leaves none" {
	profiled_config untrusted sleep 100
	create_container
	local f
	f=$(state_field .hostIDs.first)
	[ "$f" -ge "$POOL_START" ] || fail "$(al state "$ID")"
	[ "$(our_slots)" = "$POOL_DIR/$f-$((f + 65535))" ] || fail "slots: $(our_slots)"
	grep -qF "\"id\":\"$ID\"" "$POOL_DIR/$f-$((f + 65535))"
	# Its record in the state dir names the same range.
	[ "$(jq -r .first "$ROOT/$ID/ids")" = "$f" ] || fail "$(cat "$ROOT/$ID/ids")"
	al start "$ID"
	run al exec "$ID" cat /proc/self/uid_map
	assert_success
	[ "$(echo $output)" = "0 $f 65536" ] || fail "exec: $output"
	[ "$(our_slots | wc -l)" -eq 1 ] || fail "exec took a slot: $(our_slots)"
	run al delete --force "$ID"
	assert_success
	[ -z "$(our_slots)" ] || fail "slot left after delete: $(our_slots)"

	# A create that fails after its slot was taken (the init cannot find
	# the program) gives it back.
	profiled_config untrusted /no/such/program
	run_create
	assert_failure
	assert_output_contains "/no/such/program"
	[ ! -e "$ROOT/$ID" ] || fail "state left"
	[ -z "$(our_slots)" ] || fail "slot left after a failed create: $(our_slots)"
}

@test "idpool: delete --force of a create killed at each step releases its slot" {
	command -v strace >/dev/null || skip "strace is not installed (hack/deps.sh installs it)"
	profiled_config untrusted sleep 100
	local step
	# renameat: the state dir's record; renameat2: the slot file; clone3:
	# the init; sendto: committed. The create runs in the monitor create
	# forks (watcher.h): -f, and create dies of the monitor's signal.
	for step in renameat renameat2 clone3 sendto; do
		ID=${ID%-*}-$step
		status=0
		(cd "$BUNDLE" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -o "$WORK/strace" \
			-e trace="$step" -e inject="$step":signal=SIGKILL "$AIRLOCK" --root "$ROOT" create "$ID") \
			</dev/null >"$WORK/create.out" 2>&1 || status=$?
		[ "$status" -eq 137 ] || fail "$step: create was not killed (status $status): $(cat "$WORK/create.out")"
		case $step in
		renameat) [ -z "$(our_slots)" ] || fail "$step: a slot already: $(our_slots)" ;;
		renameat2) [ "$(our_slots)" = "$(our_slots | grep '\.tmp$')" ] || fail "$step: a slot already: $(our_slots)" ;;
		*) [ -n "$(our_slots | grep -v '\.tmp$')" ] || fail "$step: no slot taken" ;;
		esac
		run al delete --force "$ID"
		assert_success
		[ ! -e "$ROOT/$ID" ] || fail "$step: state left"
		# No slot left, nor a half-written one.
		[ -z "$(our_slots)" ] || fail "$step: slot left: $(our_slots)"
	done
}

@test "idpool: an exhausted pool is a clear error naming the pool; a slot comes back when its sandbox ends" {
	tiny_profile 1
	make_fifos ready-a
	al sandbox --profile tiny --id "$ID-a" --rootfs "$BUNDLE/rootfs" --json --timeout 60s -- /hostile/tenant hold /ready-a \
		</dev/null >"$WORK/a.json" 2>"$WORK/a.out" &
	BG_PIDS+=($!)
	BG_a=$!
	[ "$(wait_fifo "$BUNDLE/rootfs/ready-a")" = ready ]
	[ "$(state_field .hostIDs.first "$ID-a")" = "$TINY_START" ] || fail "$(al state "$ID-a")"
	sandbox_fg --profile tiny --id "$ID-b" -- true
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_output_contains "container \"$ID-b\": profile \"tiny\": user.pool: all 1 slots are in use (host ids $TINY_START-$((TINY_START + 65535)), 65536 per container, recorded in $POOL_DIR): delete containers that are done, or give the pool more slots"
	[ ! -e "$ROOT/$ID-b" ] || fail "state of b left"
	sandbox_end a
	sandbox_fg --profile tiny --id "$ID-b" -- true
	assert_success
	[ "$(jq -r .host_ids.first "$WORK/verdict.json")" = "$TINY_START" ] || fail "$(cat "$WORK/verdict.json")"
}

@test "idpool: a slot is not reclaimed while its create runs" {
	tiny_profile 1
	mkfifo "$WORK/hook-ready" "$WORK/hook-go"
	profiled_config tiny sleep 100
	update_config --arg r "$WORK/hook-ready" --arg g "$WORK/hook-go" \
		'.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo in > \($r); read x < \($g)"]}]'
	al create --bundle "$BUNDLE" "$ID-a" </dev/null >"$WORK/a.out" 2>&1 &
	BG_PIDS+=($!)
	local a=$!
	[ "$(wait_fifo "$WORK/hook-ready")" = in ]
	# a is half-made (its create holds the state dir): its slot is taken.
	update_config 'del(.hooks)'
	create_as "$ID-b"
	assert_failure
	assert_output_contains "profile \"tiny\": user.pool: all 1 slots are in use"
	echo go >"$WORK/hook-go"
	wait "$a" || fail "create of a: $(cat "$WORK/a.out")"
	[ "$(state_field .hostIDs.first "$ID-a")" = "$TINY_START" ]
	al delete --force "$ID-a"
	create_as "$ID-b"
	assert_success
	[ "$(state_field .hostIDs.first "$ID-b")" = "$TINY_START" ]
}

@test "idpool: a slot whose state is gone is reclaimed, but not while its processes live" {
	tiny_profile 1
	profiled_config tiny sleep 100
	create_as "$ID-a"
	assert_success
	local pid
	pid=$(state_field .pid "$ID-a")
	# Its state dir vanishes (a wiped --root) while its init still runs
	# with the slot's ids: the ids are not free.
	rm -rf "${ROOT:?}/$ID-a"
	create_as "$ID-b"
	assert_failure
	assert_output_contains "profile \"tiny\": user.pool: all 1 slots are in use"
	# Once it is gone, the slot is reclaimed by the next create.
	kill -KILL "$pid"
	wait_dead "$pid"
	rmdir "/sys/fs/cgroup/unified/airlock/$ID-a" 2>/dev/null || true
	create_as "$ID-b"
	assert_success
	[ "$(state_field .hostIDs.first "$ID-b")" = "$TINY_START" ]
	grep -qF "\"id\":\"$ID-b\"" "$POOL_DIR/$TINY_START-$((TINY_START + 65535))"
}
