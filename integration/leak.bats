#!/usr/bin/env bats
# Many run/delete cycles leave nothing behind: no mounts, state, cgroups,
# zombies, container processes or fds. LEAK_CYCLES (default 200) sets the count.

load helpers

# Zombie children of this shell.
zombie_children() {
	local p
	for p in /proc/[0-9]*/stat; do
		awk -v pp="$$" '$4 == pp && $3 == "Z" { print $1 }' "$p" 2>/dev/null
	done
	return 0
}

@test "run/delete cycles leak nothing" {
	local cycles=${LEAK_CYCLES:-200}
	local fds_before
	fds_before=$(ls /proc/$$/fd | wc -l)
	# In the created state the user process never runs, so one config serves
	# both kinds of cycle.
	set_args true
	local i
	for ((i = 0; i < cycles; i++)); do
		if ((i % 2 == 0)); then
			# run: create, start, wait, delete in one command.
			al run --bundle "$BUNDLE" "$ID-$i" </dev/null >"$WORK/out" 2>&1 \
				|| fail "cycle $i: run failed: $(cat "$WORK/out")"
		else
			# create, then delete --force of the created container.
			al create --bundle "$BUNDLE" "$ID-$i" </dev/null >"$WORK/out" 2>&1 \
				|| fail "cycle $i: create failed: $(cat "$WORK/out")"
			al delete --force "$ID-$i" >"$WORK/out" 2>&1 \
				|| fail "cycle $i: delete failed: $(cat "$WORK/out")"
		fi
	done

	[ -z "$(al list -q)" ] || fail "containers left: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ] || fail "state dirs left: $(ls -A "$ROOT")"
	! grep -F "$BUNDLE" /proc/self/mountinfo || fail "mounts left"
	[ -z "$(container_procs)" ] || fail "container processes left: $(container_procs)"
	[ -z "$(zombie_children)" ] || fail "zombies: $(zombie_children)"
	[ "$(ls /proc/$$/fd | wc -l)" -eq "$fds_before" ] || fail "fds: $fds_before before, now $(ls -l /proc/$$/fd)"
	if is_airlock; then
		local cg
		cg=$(find /sys/fs/cgroup/unified -name "*$ID*" 2>/dev/null)
		[ -z "$cg" ] || fail "cgroups left: $cg"
	fi
}
