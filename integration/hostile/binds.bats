#!/usr/bin/env bats
# Bind sources that are not what their path says: symlinks (and chains of
# them) to denied host paths, `..` climbs, /proc magic links, the same
# directory or file under another name (a bind mount, a hard link), a
# device node, a plain bind of a parent of a denied path, and a symlink
# swapped in a tight loop while containers start. Under a profile every
# bind is checked on what its source resolves to, on the fd that is then
# mounted: each case is refused with a message naming the mount, the source
# as written and what it resolved to, and no run ever sees the denied
# content. Through `airlock run` of a config with airlock.profile=untrusted
# and through `airlock sandbox --bind`.

load ../helpers

setup_file() {
	HOSTILE_BIN=$BATS_FILE_TMPDIR/hostile
	mkdir -p "$HOSTILE_BIN"
	gcc -static -O2 -Wall -Wextra -Werror -o "$HOSTILE_BIN/swap" "$BATS_TEST_DIRNAME/swap.c" || return 1
	export HOSTILE_BIN
}

setup() {
	al_setup
	is_airlock || skip "profiles and their messages are airlock's"
	export AIRLOCK_PROFILES_DIR=$AL_TOP/specs/profiles
	mkdir -p "$BUNDLE/rootfs/work" "$WORK/ok"
	: >"$BUNDLE/rootfs/work/f"
	echo allowed >"$WORK/ok/marker"
	chmod 0755 "$WORK" "$WORK/ok"
	chmod 0644 "$WORK/ok/marker"
	SWAP_PID=
}

teardown() {
	[ -z "${SWAP_PID:-}" ] || kill "$SWAP_PID" 2>/dev/null || true
	[ -z "${SWAP_PID:-}" ] || wait "$SWAP_PID" 2>/dev/null || true
	local m
	for m in ${UMOUNT:-}; do
		umount "$m" 2>/dev/null || true
	done
	al_teardown
}

# run_bind SRC DEST OPTIONS [PROFILE]: `airlock run` of the bundle under the
# profile (default untrusted) with SRC bound at DEST (options comma
# separated, e.g. rbind,ro); the container lists DEST. $status, $output.
run_bind() {
	local profile=${4:-untrusted}
	update_config --arg s "$1" --arg d "$2" --arg o "$3" --arg p "$profile" '
		.annotations["airlock.profile"] = $p
		| .process.args = ["sh", "-c", "ls -R " + $d + "; cat " + $d + "/marker 2>/dev/null; true"]
		| .mounts += [{destination: $d, type: "bind", source: $s, options: ($o | split(","))}]'
	status=0
	timeout -k 5 30 "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID$RANDOM" </dev/null >"$WORK/out" 2>&1 || status=$?
	output=$(cat "$WORK/out")
	jq 'del(.mounts[-1])' "$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# sandbox_bind SRC DEST: `airlock sandbox --bind SRC:DEST` on the bundle's
# rootfs, listing DEST. $status, $output.
sandbox_bind() {
	status=0
	timeout -k 5 30 "$AIRLOCK" --root "$ROOT" sandbox --rootfs "$BUNDLE/rootfs" --bind "$1:$2" -- \
		sh -c "ls -R $2; cat $2/marker 2>/dev/null; true" </dev/null >"$WORK/out" 2>&1 || status=$?
	output=$(cat "$WORK/out")
}

# The run was refused before the program ran, with a message containing $1.
assert_refused() {
	[ "$status" -eq 125 ] || [ "$status" -eq 1 ] || fail "status $status (expected a refusal): $output"
	assert_output_contains "$1"
	refute_output_contains "verdict: OK"
	[ -z "$(al list -q)" ] || fail "left behind: $(al list -q)"
}

# Nothing of the host's /etc was listed.
refute_etc() {
	refute_output_contains passwd
	refute_output_contains hostname
}

@test "binds: a symlink to a denied path is refused by what it resolves to" {
	local target
	for target in /etc/shadow /proc /run /etc/ssh /var/lib; do
		rm -f "$WORK/l"
		ln -s "$target" "$WORK/l"
		local dest=/work
		[ -d "$target" ] || dest=/work/f
		run_bind "$WORK/l" "$dest" rbind,ro
		assert_refused "profile \"untrusted\": mounts[7] ($WORK/l -> $dest): $WORK/l resolves to $target, which the profile keeps from containers"
		run_bind "$WORK/l" "$dest" bind,ro
		assert_refused "$WORK/l resolves to $target, which the profile keeps from containers"
		sandbox_bind "$WORK/l" "$dest"
		assert_refused "binds $target, which the profile keeps from containers"
	done
}

@test "binds: chains of symlinks and .. climbs are resolved before the check" {
	ln -s /etc/ssh "$WORK/l1"
	ln -s "$WORK/l1" "$WORK/l2"
	ln -s "$WORK/l2" "$WORK/l3"
	ln -s /etc "$WORK/e"
	mkdir -p "$WORK/a/b"
	local src
	for src in "$WORK/l3" "$WORK/a/b/../../l2" "$WORK/a/b/../../../../../../../../etc/ssh" "$WORK/e/ssh"; do
		run_bind "$src" /work rbind,ro
		assert_refused "($src -> /work): $src resolves to /etc/ssh, which the profile keeps from containers"
		refute_etc
	done
	run_bind "$WORK/e/../etc/shadow" /work/f bind,ro
	assert_refused "$WORK/e/../etc/shadow resolves to /etc/shadow, which the profile keeps from containers"
	sandbox_bind "$WORK/a/b/../../l3" /work
	assert_refused "binds /etc/ssh, which the profile keeps from containers"
}

@test "binds: a source through a /proc magic link is refused" {
	ln -s /proc/self/root/etc "$WORK/self-root"
	# This shell's root: in the container's init, a root in another mount
	# namespace (the host's).
	ln -s "/proc/$$/root/etc" "$WORK/pid-root"
	ln -s /proc/self/cwd "$WORK/cwd"
	local src
	for src in "$WORK/self-root" "$WORK/pid-root" "$WORK/cwd"; do
		run_bind "$src" /work bind,ro
		assert_refused "($src -> /work): $src resolves through a /proc magic link (such as /proc/PID/root or /proc/PID/fd/N): the profile allows only plain paths as bind sources"
		refute_etc
	done
	# pid 1's root: refused (on some hosts even root may not look at it).
	ln -s /proc/1/root/etc "$WORK/init-root"
	run_bind "$WORK/init-root" /work bind,ro
	assert_refused "$WORK/init-root"
	refute_etc
	# Written out, the path alone is refused.
	run_bind /proc/self/root/etc/ssh /work rbind,ro
	assert_refused "binds /proc, which the profile keeps from containers"
	# --bind resolves it first; the resolved path is checked.
	sandbox_bind "$WORK/self-root" /work
	assert_refused "/etc would bring /etc/shadow, which the profile keeps from containers"
	refute_etc
}

@test "binds: a denied directory or file under another name is refused (a bind mount of it, a hard link)" {
	mkdir "$WORK/alias"
	mount --bind /etc/ssh "$WORK/alias"
	UMOUNT="$WORK/alias"
	run_bind "$WORK/alias" /work rbind,ro
	assert_refused "$WORK/alias resolves to $WORK/alias, which is /etc/ssh under another name"
	sandbox_bind "$WORK/alias" /work
	assert_refused "$WORK/alias resolves to $WORK/alias, which is /etc/ssh under another name"
	# A file below it: inside /etc/ssh, reached under another name.
	local f
	f=$(find /etc/ssh -maxdepth 1 -type f | head -1)
	if [ -n "$f" ]; then
		run_bind "$WORK/alias/${f##*/}" /work/f bind,ro
		assert_refused "inside /etc/ssh reached under another name"
	fi
	umount "$WORK/alias"
	UMOUNT=
	if ln /etc/shadow "$WORK/shadow-link" 2>/dev/null; then
		run_bind "$WORK/shadow-link" /work/f bind,ro
		assert_refused "$WORK/shadow-link resolves to $WORK/shadow-link, which is /etc/shadow under another name"
		sandbox_bind "$WORK/shadow-link" /work/f
		assert_refused "which is /etc/shadow under another name"
	else
		echo "# no hard link of /etc/shadow: $WORK is on another filesystem" >&3
	fi
}

@test "binds: a plain bind of a directory is refused when a denied path lies on its own mount below it" {
	# A profile that also denies $WORK/d/secret and $WORK/m/secret.
	mkdir -p "$WORK/profiles" "$WORK/d/secret" "$WORK/m/secret"
	echo key >"$WORK/d/secret/key"
	local p
	for p in untrusted untrusted-pod; do
		jq --arg s "$WORK/d/secret" --arg t "$WORK/m/secret" '.deniedHostPaths += [$s, $t]' \
			"$AL_TOP/specs/profiles/$p.json" >"$WORK/profiles/$p.json"
	done
	export AIRLOCK_PROFILES_DIR=$WORK/profiles
	chmod -R a+rX "$WORK/d" "$WORK/m"
	run_bind "$WORK/d" /work bind,ro
	assert_refused "($WORK/d -> /work): $WORK/d resolves to $WORK/d, whose bind would show $WORK/d/secret, which the profile keeps from containers"
	refute_output_contains key
	run_bind "$WORK/d" /work rbind,ro
	assert_refused "($WORK/d -> /work): a recursive bind of $WORK/d would bring $WORK/d/secret, which the profile keeps from containers"
	# A separate mount there: in the user namespace both profiles give
	# (untrusted's own, untrusted-pod's pod one) the kernel refuses to bind
	# a tree without the mounts it locks; a recursive bind would bring the
	# mount.
	mount -t tmpfs -o size=1m,mode=0755 tmpfs "$WORK/m/secret"
	UMOUNT="$WORK/m/secret"
	echo hidden >"$WORK/m/secret/key"
	run_bind "$WORK/m" /work bind,ro untrusted-pod
	assert_failure
	refute_output_contains key
	run_bind "$WORK/m" /work bind,ro
	assert_failure
	refute_output_contains key
	run_bind "$WORK/m" /work rbind,ro
	assert_refused "a recursive bind of $WORK/m would bring $WORK/m/secret, which the profile keeps from containers"
	refute_output_contains key
	# A plain bind of / (through a symlink) would show /etc/shadow.
	ln -s / "$WORK/slash"
	run_bind "$WORK/slash" /work bind,ro
	assert_refused "$WORK/slash resolves to /, whose bind would show"
}

@test "binds: a device node is refused as a bind source" {
	mknod "$WORK/null" c 1 3
	mknod "$WORK/loop" b 7 0
	run_bind "$WORK/null" /work/f bind,ro
	assert_refused "($WORK/null -> /work/f): $WORK/null resolves to $WORK/null, a device node (c 1:3): the profile allows no device as a bind source"
	run_bind "$WORK/loop" /work/f bind,ro
	assert_refused "a device node (b 7:0)"
	sandbox_bind "$WORK/null" /work/f
	assert_refused "$WORK/null resolves to $WORK/null, a device node (c 1:3)"
}

@test "binds: an allowed bind through a symlink works (what it resolves to is mounted)" {
	ln -s "$WORK/ok" "$WORK/okl"
	run_bind "$WORK/okl" /work rbind,ro
	assert_success
	assert_output_contains allowed
	sandbox_bind "$WORK/okl" /work
	assert_success
	assert_output_contains allowed
}

# race KIND PROFILE N: swap $WORK/race/src between a directory and a symlink
# to /etc while N containers bind it; none may see /etc.
race() {
	local kind=$1 profile=$2 n=$3
	mkdir -p "$WORK/race/src"
	echo allowed >"$WORK/race/src/marker"
	chmod -R a+rX "$WORK/race"
	ln -s /etc "$WORK/race/alt"
	mkfifo "$WORK/ready"
	"$HOSTILE_BIN/swap" "$WORK/race/src" "$WORK/race/alt" "$WORK/ready" &
	SWAP_PID=$!
	read -r _ <"$WORK/ready"
	# N runs, and more until one got the directory (each run checks the
	# path up to three times: most are refused), at most 300.
	local i=0 ran=0 refused=0 by_init=0
	while [ "$i" -lt "$n" ] || { [ "$ran" -eq 0 ] && [ "$i" -lt 300 ]; }; do
		i=$((i + 1))
		if [ "$kind" = run ]; then
			run_bind "$WORK/race/src" /work rbind,ro "$profile"
		else
			sandbox_bind "$WORK/race/src" /work
		fi
		refute_etc || fail "run $i saw the host's /etc: $output"
		if [ "$status" -eq 0 ]; then
			assert_output_contains allowed
			ran=$((ran + 1))
		else
			assert_output_contains "which the profile keeps from containers"
			refused=$((refused + 1))
			# refused by the container's init, on the fd it would mount
			case "$output" in *'airlock: container "'*) by_init=$((by_init + 1)) ;; esac
		fi
	done
	kill "$SWAP_PID"
	wait "$SWAP_PID" 2>/dev/null || true
	SWAP_PID=
	echo "# $kind/$profile: $i runs: $ran ran on the directory, $refused refused ($by_init by the init)" >&3
	[ "$ran" -gt 0 ] || fail "no run got the allowed directory"
	[ -z "$(al list -q)" ] || fail "left behind: $(al list -q)"
}

@test "binds: a symlink swapped with a directory in a tight loop never gets /etc mounted (airlock run)" {
	race run untrusted 30
}

@test "binds: the same race under the pod profile (airlock run)" {
	race run untrusted-pod 30
}

@test "binds: the same race through airlock sandbox --bind" {
	race sandbox untrusted 30
}

@test "binds: a profiled container's user namespace gets the missing mount point of a bind (a CRI file the image lacks)" {
	# The rootfs is host root's: container root (an unprivileged host uid)
	# may not add /etc/airlock-new itself; the runtime makes the mount
	# point before the clone, inside the rootfs only.
	echo "from the host" >"$WORK/newfile"
	chmod 0644 "$WORK/newfile"
	[ ! -e "$BUNDLE/rootfs/etc/airlock-new" ] || fail "the image has it"
	update_config --arg s "$WORK/newfile" '
		.annotations["airlock.profile"] = "untrusted-pod"
		| .process.args = ["sh", "-c", "cat /etc/airlock-new; id -u"]
		| .mounts += [{destination: "/etc/airlock-new", type: "bind", source: $s, options: ["bind", "ro"]}]'
	rm -f "$BUNDLE/rootfs/etc/airlock-new"
	run timeout -k 5 30 "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID$RANDOM"
	assert_success
	assert_output_contains "from the host"
	# A symlinked parent cannot take it out of the rootfs.
	mkdir -p "$WORK/outside"
	ln -s "$WORK/outside" "$BUNDLE/rootfs/escape"
	update_config --arg s "$WORK/newfile" '.mounts[-1].destination = "/escape/x"'
	run timeout -k 5 30 "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID$RANDOM"
	[ ! -e "$WORK/outside/x" ] || fail "created outside the rootfs: $WORK/outside/x"
}
