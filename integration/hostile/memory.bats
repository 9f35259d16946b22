#!/usr/bin/env bats
# Memory outside any process: on a host whose cgroup2 tree has no memory
# controller, `--memory 64M` must still bound what a task can hold through
# memfd, SysV shm and tmpfs (/tmp, /dev/shm, /dev), and a profiled container
# is refused there unless the caller (never the tenant's annotation) opts in
# with AIRLOCK_MISSING_CONTROLLERS=warn. The helpers are
# integration/hostile/shmhog.c and evade.c, built static into the rootfs.

load ../helpers

setup_file() {
	AIRLOCK_PROFILES_DIR=$(cd "$(dirname "$AIRLOCK")/.." && pwd)/specs/profiles
	export AIRLOCK_PROFILES_DIR
	SHMHOG_BIN=$BATS_FILE_TMPDIR/shmhog
	EVADE_BIN=$BATS_FILE_TMPDIR/evade
	gcc -static -O2 -Wall -Wextra -Werror -o "$SHMHOG_BIN" "$BATS_TEST_DIRNAME/shmhog.c" || return 1
	gcc -static -O2 -Wall -Wextra -Werror -o "$EVADE_BIN" "$BATS_TEST_DIRNAME/evade.c" || return 1
	export SHMHOG_BIN EVADE_BIN
}

setup() {
	is_airlock || skip "airlock only: profiles and the verdict are airlock's"
	al_setup
	mkdir -p "$BUNDLE/rootfs/hostile"
	cp "$SHMHOG_BIN" "$BUNDLE/rootfs/hostile/shmhog"
	cp "$EVADE_BIN" "$BUNDLE/rootfs/hostile/evade"
}

teardown() { al_teardown; }

# The host's cgroup2 tree lacks the memory controller.
no_memcg() {
	local cg2
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -z "$cg2" ] || ! grep -qw memory "$cg2/cgroup.controllers"
}

# sandbox_json ARGS... -- PROGRAM...: $status, $output, $WORK/verdict.json.
sandbox_json() {
	status=0
	AIRLOCK_MISSING_CONTROLLERS=warn "$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --json "$@" \
		</dev/null >"$WORK/verdict.json" 2>"$WORK/out" || status=$?
	output=$(cat "$WORK/out")
}

v() { jq -r "$1" "$WORK/verdict.json"; }

@test "memory: without a memory controller a sandbox is refused unless the caller opts in" {
	no_memcg || skip "this host's cgroup2 tree has the memory controller: nothing to refuse"
	status=0
	AIRLOCK_MISSING_CONTROLLERS= "$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" -- true \
		</dev/null >"$WORK/out" 2>&1 || status=$?
	output=$(cat "$WORK/out")
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_output_contains 'limits.memory: the host'"'"'s cgroup2 tree has no memory controller'
	assert_output_contains 'AIRLOCK_MISSING_CONTROLLERS=warn'
	assert_output_contains '--missing-controllers warn'
	[ -z "$(al list -q)" ] || fail "left behind: $(al list -q)"
	# --missing-controllers refuse beats the environment's opt-in
	status=0
	AIRLOCK_MISSING_CONTROLLERS=warn "$AIRLOCK" --root "$ROOT" sandbox --missing-controllers refuse \
		--rootfs "$BUNDLE/rootfs" -- true </dev/null >"$WORK/out" 2>&1 || status=$?
	[ "$status" -eq 125 ] || fail "--missing-controllers refuse: status $status: $(cat "$WORK/out")"
	# the opt-in runs it
	status=0
	AIRLOCK_MISSING_CONTROLLERS= "$AIRLOCK" --root "$ROOT" sandbox --missing-controllers warn \
		--rootfs "$BUNDLE/rootfs" -- true </dev/null >"$WORK/out" 2>&1 || status=$?
	[ "$status" -eq 0 ] || fail "--missing-controllers warn: status $status: $(cat "$WORK/out")"
}

@test "memory: the tenant's annotation airlock.missing-controllers cannot opt a profiled container in" {
	no_memcg || skip "this host's cgroup2 tree has the memory controller: nothing to refuse"
	update_config '.annotations["airlock.profile"] = "untrusted"
		| .annotations["airlock.missing-controllers"] = "warn"
		| del(.linux.resources) | .process.args = ["true"]'
	status=0
	AIRLOCK_MISSING_CONTROLLERS= "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1 ||
		status=$?
	output=$(cat "$WORK/out")
	[ "$status" -ne 0 ] || fail "ran: $output"
	assert_output_contains 'has no memory controller'
	assert_output_contains 'may only say "refuse"'
	# and "refuse" in the annotation wins over the caller's opt-in
	update_config '.annotations["airlock.missing-controllers"] = "refuse"'
	status=0
	AIRLOCK_MISSING_CONTROLLERS=warn "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null \
		>"$WORK/out" 2>&1 || status=$?
	[ "$status" -ne 0 ] || fail "annotation refuse, env warn: ran: $(cat "$WORK/out")"
	# the caller's opt-in runs it
	update_config 'del(.annotations["airlock.missing-controllers"])'
	status=0
	AIRLOCK_MISSING_CONTROLLERS=warn "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null \
		>"$WORK/out" 2>&1 || status=$?
	[ "$status" -eq 0 ] || fail "env warn: status $status: $(cat "$WORK/out")"
}

@test "memory: memfd_create is denied and named under --memory" {
	sandbox_json --memory 64M -- /hostile/evade memfd
	[ "$status" -eq 0 ] || fail "status $status: $output"
	assert_output_contains "memfd_create: failed: Operation not permitted"
	[ "$(v '[.denied_syscalls[] | select(.name == "memfd_create")] | length')" = 1 ] ||
		fail "memfd_create not reported: $(cat "$WORK/verdict.json")"
}

@test "memory: a SysV shm segment beyond the memory limit fails (kernel.shmmax)" {
	sandbox_json --memory 64M -- /hostile/shmhog big 128
	[ "$status" -eq 0 ] || fail "status $status: $output"
	assert_output_contains "shmhog: big: failed: Invalid argument"
}

@test "memory: SysV shm segments stop at the memory limit in total (kernel.shmall)" {
	sandbox_json --memory 64M -- /hostile/shmhog many 8 24
	[ "$status" -eq 0 ] || fail "status $status: $output"
	assert_output_contains "shmhog: many: segment 3 failed: No space left on device"
	assert_output_contains "shmhog: many: held 48 MiB in 2 segments"
}

@test "memory: a detached SysV shm segment goes (kernel.shm_rmid_forced)" {
	sandbox_json --memory 64M -- /hostile/shmhog orphan 8
	[ "$status" -eq 0 ] || fail "status $status: $output"
	assert_output_contains "shmhog: orphan: removed on detach"
}

@test "memory: every tmpfs is sized from the memory limit (/dev: 64 KiB), and filling /dev stops there" {
	# Filling /dev/shm or /tmp to their size would put the sampled sum over
	# the limit (the monitor kills, tested below): their sizes are read.
	# shellcheck disable=SC2016
	sandbox_json --memory 32M -- sh -c '
		grep " tmpfs " /proc/mounts | grep -v "^none "
		dd if=/dev/zero of=/dev/fill bs=4k count=1000 2>/dev/null
		echo "/dev: $(wc -c </dev/fill) bytes"'
	[ "$status" -eq 0 ] || fail "status $status: $output"
	local d line
	for d in /dev/shm /tmp /dev; do
		line=$(awk -v d="$d" '$2 == d && $3 == "tmpfs"' <<<"$output")
		[ -n "$line" ] || fail "no tmpfs at $d: $output"
		[[ $line == *,nr_inodes=* ]] || fail "$d: no nr_inodes: $line"
	done
	[[ $(awk '$2 == "/dev/shm"' <<<"$output") == *size=32768k* ]] || fail "/dev/shm not 32M: $output"
	[[ $(awk '$2 == "/tmp"' <<<"$output") == *size=32768k* ]] || fail "/tmp not 32M: $output"
	[[ $(awk '$2 == "/dev"' <<<"$output") == *size=64k* ]] || fail "/dev not 64k: $output"
	local n
	n=$(sed -n 's|^/dev: \([0-9]*\) bytes|\1|p' <<<"$output")
	[ -n "$n" ] && [ "$n" -le 65536 ] || fail "/dev held ${n:-?} bytes: $output"
	[ "$(v .limits.memory.tmpfs.sized)" -ge 3 ] || fail "$(cat "$WORK/verdict.json")"
}

@test "memory: a file count flood in /tmp stops at nr_inodes" {
	sandbox_json --memory 32M -- sh -c 'i=0; while [ $i -lt 5000 ] && touch /tmp/f$i 2>/dev/null; do i=$((i+1)); done; echo "files: $i"'
	[ "$status" -eq 0 ] || fail "status $status: $output"
	local n
	n=$(sed -n 's|^files: \([0-9]*\)|\1|p' <<<"$output")
	[ -n "$n" ] && [ "$n" -lt 5000 ] || fail "created ${n:-?} files in /tmp: $output"
}

# No memory controller: the monitor's 20 ms samples (every process's
# RssAnon+RssShmem+VmSwap+VmPTE plus the used bytes of the container's own
# tmpfs) are what enforces the limit; over it the monitor kills.
@test "memory: tmpfs contents count: two tmpfs each within its size but over the limit together are killed by the monitor" {
	no_memcg || skip "this host has the memory controller: memory.max enforces the limit, not the monitor"
	sandbox_json --timeout 20s --memory 48M -- sh -c '
		dd if=/dev/zero of=/dev/shm/a bs=1M count=30 2>/dev/null
		dd if=/dev/zero of=/tmp/b bs=1M count=30 2>/dev/null
		exec sleep 60'
	[ "$(v .oom_killed)" = true ] && [ "$(v .oom_killed_by)" = monitor ] ||
		fail "not killed by the monitor: $(cat "$WORK/verdict.json")"
	[ "$(v .timed_out)" = false ] || fail "timed out instead: $(cat "$WORK/verdict.json")"
	[ "$(v .limits.memory.enforced_by)" = monitor-sampled ] || fail "$(cat "$WORK/verdict.json")"
	[ "$(v .limits.memory.kernel)" = unbounded ] || fail "$(cat "$WORK/verdict.json")"
	[ "$(v .limits.memory.ipc.shmmax)" = $((48 << 20)) ] || fail "$(cat "$WORK/verdict.json")"
	[ "$(v .memory_peak_bytes)" -gt $((48 << 20)) ] || fail "peak: $(cat "$WORK/verdict.json")"
}

@test "memory: processes each within the limit but over it together are killed by the monitor" {
	no_memcg || skip "this host has the memory controller: memory.max enforces the limit, not the monitor"
	sandbox_json --timeout 20s --memory 48M -- sh -c '/hostile/shmhog hold 28 & /hostile/shmhog hold 28 & wait'
	[ "$(v .oom_killed_by)" = monitor ] || fail "not killed by the monitor: $(cat "$WORK/verdict.json"); $output"
	[ "$(v .timed_out)" = false ] || fail "timed out instead: $(cat "$WORK/verdict.json")"
	[ "$(v .memory_peak_bytes)" -gt $((48 << 20)) ] || fail "peak: $(cat "$WORK/verdict.json")"
}
