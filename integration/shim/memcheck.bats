#!/usr/bin/env bats
# The shim's memory across container lifecycles.
#
# 1. valgrind memcheck: containerd finds the shim by name in its PATH; ours is
#    a wrapper that execs valgrind on the real binary, so every shim process
#    (`start`, the daemon it forks, the forked workers, `delete`) runs under
#    memcheck with its own log. After VG_CYCLES `ctr run --rm` lifecycles no
#    log may report an error or a definite leak. Container creation runs in
#    the daemon's forked worker and so under valgrind too. Valgrind 3.19
#    (Debian 12) has no openat2 (syscall 437): libairlock then resolves rootfs
#    paths with its userspace walk (resolve.c), and the test checks that no
#    create fails there any more. It has none of the new mount API either
#    (open_tree, move_mount, fsopen, mount_setattr: 428-432, 442), which
#    rootfs.c needs for masked and read-only paths and bind mounts, so creation
#    still fails later with ENOSYS; the lifecycles then cover the shim's start,
#    Create (its error path, after the rootfs mounts that use mount(2)),
#    Delete, Shutdown and the `delete` command. A valgrind that knows those
#    syscalls runs the full lifecycles.
# 2. heap in use: one pod (CRI) whose shim runs HEAP_CYCLES container
#    lifecycles (create, start, exit, remove); glibc's malloc_stats, called in
#    the shim with gdb, must show the same bytes in use before and after
#    (within 64 bytes per lifecycle). The shim runs with tcache off
#    (GLIBC_TUNABLES) so that freed chunks do not count as in use.
# Under `make SAN=1` these are skipped (ASan's allocator replaces glibc's;
# LeakSanitizer checks the shim at exit there).

SHIM_NEED_CRI=1
load helpers

REAL_SHIM=$BUILD_DIR/containerd-shim-airlock-v2
# valgrind runs the same shim objects linked dynamically (make check builds
# it): in the static shim it cannot replace glibc's internals and reports
# their uninitialised reads as errors by the thousand.
VG_SHIM=$BUILD_DIR/tests/containerd-shim-airlock-v2-dynamic

is_asan_shim() { ldd "$REAL_SHIM" 2>/dev/null | grep -q libasan; }

# containerd runs our wrapper (first in its PATH); $WRAP_DIR/mode picks what
# the wrapper runs: `valgrind` (memcheck, a log per process under vg/) or
# `notcache` (the shim itself, glibc's tcache off).
setup_file() {
	WRAP_DIR=$(mktemp -d /tmp/al-vg.XXXXXX)
	chmod 0755 "$WRAP_DIR"
	mkdir -p "$WRAP_DIR/bin" "$WRAP_DIR/vg"
	export WRAP_DIR
	cat >"$WRAP_DIR/bin/containerd-shim-airlock-v2" <<-EOF
	#!/bin/sh
	if [ "\$(cat $WRAP_DIR/mode 2>/dev/null)" = valgrind ]; then
	  exec valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
	    --suppressions=$BATS_TEST_DIRNAME/valgrind.supp \\
	    --log-file=$WRAP_DIR/vg/vg.%p "$VG_SHIM" "\$@"
	fi
	GLIBC_TUNABLES=glibc.malloc.tcache_count=0 exec "$REAL_SHIM" "\$@"
	EOF
	chmod +x "$WRAP_DIR/bin/containerd-shim-airlock-v2"
	BUILD_DIR=$WRAP_DIR/bin shim_setup_file
}

teardown_file() {
	local rc=0
	shim_teardown_file || rc=$?
	rm -rf "$WRAP_DIR"
	return $rc
}

# Bytes in use in a process's malloc heap (glibc's malloc_stats, called with
# gdb, prints to the process's stderr: for a shim, containerd's log).
heap_in_use() {
	local pid=$1 before
	before=$(grep -c "^in use bytes" "$CTD_DIR/containerd.log")
	gdb -q -batch -nx -p "$pid" -ex 'call (void) malloc_stats()' >/dev/null 2>&1 \
		|| fail "gdb could not attach to $pid"
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c "^in use bytes" "$CTD_DIR/containerd.log")" -gt "$before" ] && break
		sleep 0.05
	done
	# The last "in use" line is the total (all arenas, mmapped chunks too).
	grep "^in use bytes" "$CTD_DIR/containerd.log" | tail -n 1 | awk '{ print $NF }'
}

@test "memcheck: ${VG_CYCLES:-5} shim lifecycles under valgrind: no errors, no definite leaks" {
	is_airlock_shim || skip "RUNTIME=$RUNTIME: valgrind runs our shim only"
	is_asan_shim && skip "ASan build: valgrind cannot run it (LeakSanitizer checks the shim in make SAN=1)"
	command -v valgrind >/dev/null || fail "valgrind not installed (hack/deps.sh)"
	[ -x "$VG_SHIM" ] || fail "$VG_SHIM is missing: make check builds it (valgrind cannot check the static shim)"
	echo valgrind >"$WRAP_DIR/mode"
	local i n=${VG_CYCLES:-5} created=0 enosys=0 why=
	for ((i = 0; i < n; i++)); do
		run c run --rm --runtime "$RUNTIME" --cpu-shares 0 "$IMAGE" "$CID-$i" true </dev/null
		if [ "$status" -eq 0 ]; then
			created=$((created + 1))
		elif [[ $output == *"Function not implemented"* ]]; then
			# Path resolution inside the rootfs works without openat2.
			[[ $output != *"inside the rootfs: Function not implemented"* ]] \
				|| fail "lifecycle $i: rootfs path resolution failed without openat2: $output"
			enosys=$((enosys + 1))
			why=$(grep -o '[^:"]*: Function not implemented' <<<"$output" | head -n 1 | sed 's/^ *//')
			c container delete "$CID-$i" >/dev/null 2>&1 || true
		else
			fail "lifecycle $i: $output"
		fi
	done
	[ "$enosys" -eq 0 ] || echo "# $(valgrind --version): $enosys of $n creates failed with ENOSYS (\"$why\", a syscall valgrind lacks; rootfs paths resolved without openat2): start, Create's error path, Delete, Shutdown covered" >&3
	# The shims exit (and valgrind writes its summary) once their task is gone.
	shim_cleanup_tasks
	wait_no_strays >/dev/null || fail "shims still running: $(shim_stray_pids)"
	local f summaries=0 bad= daemon_allocs=0
	for f in "$WRAP_DIR"/vg/vg.*; do
		grep -q "ERROR SUMMARY:" "$f" || continue
		summaries=$((summaries + 1))
		if ! grep -q "ERROR SUMMARY: 0 errors" "$f"; then
			bad="$bad $f"
			sed 's/^/# /' "$f" >&2
		fi
		grep -q "definitely lost: [1-9]" "$f" && bad="$bad $f(leak)"
		local a
		a=$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$f" | tr -d ,)
		[ -n "$a" ] && [ "$a" -gt "$daemon_allocs" ] && daemon_allocs=$a
	done
	[ -z "$bad" ] || fail "memcheck reports:$bad"
	# Each lifecycle: at least `start`, the daemon and `delete` (or the daemon's Shutdown).
	[ "$summaries" -ge "$n" ] || fail "only $summaries valgrind summaries for $n lifecycles: $(ls "$WRAP_DIR/vg")"
	# valgrind replaced malloc (else its leak check sees nothing).
	[ "$daemon_allocs" -gt 0 ] || fail "valgrind saw no heap allocations"
}

@test "memcheck: the shim's heap in use does not grow over ${HEAP_CYCLES:-15} container lifecycles" {
	is_airlock_shim || skip "RUNTIME=$RUNTIME: measures our shim only"
	is_asan_shim && skip "ASan build: its allocator replaces glibc's malloc_stats (LeakSanitizer checks the shim in make SAN=1)"
	command -v gdb >/dev/null || fail "gdb not installed (hack/deps.sh)"
	echo notcache >"$WRAP_DIR/mode"
	local n=${HEAP_CYCLES:-15} w=$CTD_DIR/work/$CID pod pid
	mkdir -p "$w/logs"
	pod=$(cri run-pod --name "p-$CID" --handler "$HANDLER" --log-dir "$w/logs" --save "$w/pod.json")
	pid=$(shim_pid_of "$pod" k8s.io)
	# Warm-up: first-use allocations (event client, buffers) are not growth.
	cri cycle --pod "$pod" --pod-config "$w/pod.json" --image "$IMAGE" --count 3 -- true
	local a b
	a=$(heap_in_use "$pid")
	cri cycle --pod "$pod" --pod-config "$w/pod.json" --image "$IMAGE" --count "$n" -- true
	b=$(heap_in_use "$pid")
	echo "# shim heap in use: $a bytes after 3 lifecycles, $b after $((3 + n))" >&3
	[ -n "$a" ] && [ -n "$b" ] || fail "no malloc_stats output in containerd's log"
	[ "$b" -le $((a + 64 * n)) ] || fail "shim heap grew by $((b - a)) bytes over $n lifecycles"
}
