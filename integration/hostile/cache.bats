#!/usr/bin/env bats
# The image cache of `airlock sandbox` against another local user (uid
# 65534): a cache directory they created, an image planted in it, a symlink
# as the cache or at the build's temporary names, a directory above the
# cache they can write or own. airlock refuses each with a message naming
# the directory, its owner and mode and what to do, and writes nothing
# through their links. A safe root-owned cache works: the image is root's
# with nothing writable by others, and concurrent first uses leave exactly
# one image and no temporary directory.

load ../helpers

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/bin"
	# The planted busybox: says all is well whatever it is asked.
	printf '#include <stdio.h>\nint main(void){puts("PLANTED");return 0;}\n' >"$BATS_FILE_TMPDIR/liar.c"
	gcc -static -O2 -o "$BATS_FILE_TMPDIR/bin/liar" "$BATS_FILE_TMPDIR/liar.c" || return 1
	export LIAR=$BATS_FILE_TMPDIR/bin/liar
}

setup() {
	al_setup
	is_airlock || skip "the image cache is airlock's"
	[ -x /bin/busybox ] || skip "no /bin/busybox (busybox-static)"
	export AIRLOCK_PROFILES_DIR=$AL_TOP/specs/profiles
	# Like /tmp: anyone may create entries, nobody may touch others'.
	PUB=$TESTDIR/pub
	mkdir -m 1777 "$PUB"
	# Where a link would make root write: must stay empty.
	TARGET=$TESTDIR/target
	mkdir -m 0755 "$TARGET"
}

teardown() { al_teardown; }

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# sandbox_in CACHE ARGS...: `airlock sandbox ARGS` on the default image in
# CACHE; $status, $output.
sandbox_in() {
	local cache=$1
	shift
	status=0
	AIRLOCK_CACHE=$cache timeout -k 5 60 "$AIRLOCK" --root "$ROOT" sandbox "$@" </dev/null >"$WORK/out" 2>&1 || status=$?
	output=$(cat "$WORK/out")
}

# The image this airlock builds, made in a safe cache of its own:
# $IMAGE_NAME, and $LEARN/$IMAGE_NAME.
learn_image() {
	LEARN=$TESTDIR/learn
	sandbox_in "$LEARN" -- true
	assert_success
	IMAGE_NAME=$(ls "$LEARN")
	[ -n "$IMAGE_NAME" ] && [ -d "$LEARN/$IMAGE_NAME/bin" ] || fail "no image in $LEARN: $(ls -A "$LEARN")"
}

# Refused before anything ran, with a message containing $1.
assert_refused() {
	[ "$status" -eq 125 ] || fail "status $status (expected 125): $output"
	assert_output_contains "$1"
	refute_output_contains PLANTED
	refute_output_contains "verdict:"
}

assert_target_untouched() {
	[ -z "$(ls -A "$TARGET")" ] || fail "written through a link: $(cd "$TARGET" && find . | head)"
}

@test "cache: a cache directory another user created is refused, nothing is built in it" {
	as_nobody mkdir "$PUB/cache"
	sandbox_in "$PUB/cache" -- true
	assert_refused "sandbox cache $PUB/cache: $PUB/cache is owned by uid 65534 (mode 0755): it and every directory above it must belong to root and be writable by nobody else"
	assert_output_contains "remove it, or set AIRLOCK_CACHE to a directory only root can write (default /var/cache/airlock)"
	[ -z "$(ls -A "$PUB/cache")" ] || fail "built in it: $(ls -A "$PUB/cache")"
}

@test "cache: an image planted by another user is never run" {
	learn_image
	as_nobody mkdir "$PUB/cache"
	as_nobody cp -r "$LEARN/$IMAGE_NAME" "$PUB/cache/$IMAGE_NAME"
	install -m 0755 "$LIAR" "$TESTDIR/liar"
	as_nobody rm "$PUB/cache/$IMAGE_NAME/bin/sh"
	as_nobody cp "$TESTDIR/liar" "$PUB/cache/$IMAGE_NAME/bin/sh"
	sandbox_in "$PUB/cache" -- sh -c 'exit 3'
	assert_refused "$PUB/cache is owned by uid 65534"
	# The same image moved into a safe directory but still the other
	# user's files: refused by the image check.
	mkdir "$TESTDIR/safe"
	mv "$PUB/cache/$IMAGE_NAME" "$TESTDIR/safe/"
	sandbox_in "$TESTDIR/safe" -- sh -c 'exit 3'
	assert_refused "sandbox image $TESTDIR/safe/$IMAGE_NAME: . is owned by uid 65534"
	assert_output_contains "remove $TESTDIR/safe/$IMAGE_NAME (the next run builds it again)"
}

@test "cache: a cache that is another user's symlink is refused; nothing is written through it" {
	as_nobody ln -s "$TARGET" "$PUB/cache"
	sandbox_in "$PUB/cache" -- true
	assert_target_untouched
	assert_refused "sandbox cache $PUB/cache: $PUB/cache is a symlink owned by uid 65534"
	# Deeper: a symlink as a directory above the cache.
	as_nobody ln -s "$TARGET" "$PUB/up"
	sandbox_in "$PUB/up/cache" -- true
	assert_refused "sandbox cache $PUB/up/cache: $PUB/up is a symlink owned by uid 65534"
	assert_target_untouched
}

@test "cache: a root-owned symlink in a safe place is followed to a safe cache" {
	mkdir "$TESTDIR/real"
	ln -s "$TESTDIR/real" "$TESTDIR/link"
	sandbox_in "$TESTDIR/link" -- sh -c 'echo ran'
	assert_success
	assert_output_contains ran
	ls -d "$TESTDIR"/real/sandbox-rootfs-* >/dev/null || fail "no image in the link's target"
}

@test "cache: symlinks planted at the build's temporary names are never written through" {
	learn_image
	as_nobody mkdir "$PUB/cache"
	# The old build used <image>.build.<pid>: every pid about to come.
	local last
	last=$(cat /proc/sys/kernel/ns_last_pid)
	as_nobody /usr/bin/python3 -c '
import os, sys
d, name, target, first = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for p in range(first, first + 3000):
    os.symlink(target, "%s/%s.build.%d" % (d, name, p))
' "$PUB/cache" "$IMAGE_NAME" "$TARGET" "$((last + 1))"
	sandbox_in "$PUB/cache" -- true
	assert_target_untouched
	assert_refused "$PUB/cache is owned by uid 65534"
}

@test "cache: a directory above the cache that another user can write or owns is refused" {
	mkdir -m 0777 "$TESTDIR/open"
	mkdir -m 0755 "$TESTDIR/open/cache"
	sandbox_in "$TESTDIR/open/cache" -- true
	assert_refused "sandbox cache $TESTDIR/open/cache: $TESTDIR/open is writable by group or others (owner uid 0, mode 0777)"
	[ -z "$(ls -A "$TESTDIR/open/cache")" ] || fail "built in it"
	# Another user's directory, with a root-owned cache inside: they can
	# rename it away and put their own in its place.
	as_nobody mkdir "$PUB/home"
	mkdir -m 0755 "$PUB/home/cache"
	sandbox_in "$PUB/home/cache" -- true
	assert_refused "sandbox cache $PUB/home/cache: $PUB/home is owned by uid 65534 (mode 0755)"
	[ -z "$(ls -A "$PUB/home/cache")" ] || fail "built in it"
}

@test "cache: a root-owned cache that others can write is refused" {
	mkdir -m 0777 "$TESTDIR/c1"
	sandbox_in "$TESTDIR/c1" -- true
	assert_refused "sandbox cache $TESTDIR/c1: $TESTDIR/c1 is writable by group or others"
	mkdir -m 1777 "$TESTDIR/c2"
	sandbox_in "$TESTDIR/c2" -- true
	assert_refused "sandbox cache $TESTDIR/c2: $TESTDIR/c2 is writable by group or others (owner uid 0, mode 1777)"
	mkdir -m 0775 "$TESTDIR/c3"
	sandbox_in "$TESTDIR/c3" -- true
	assert_refused "$TESTDIR/c3 is writable by group or others"
	[ -z "$(ls -A "$TESTDIR/c1" "$TESTDIR/c2" "$TESTDIR/c3" | grep -v :)" ] || fail "built in them"
}

@test "cache: a cached image changed after it was built is refused" {
	learn_image
	local img=$LEARN/$IMAGE_NAME
	chmod o+w "$img/bin/busybox"
	sandbox_in "$LEARN" -- true
	# (bin/ is busybox's hard links: whichever name comes first)
	assert_refused "sandbox image $img: bin/"
	assert_output_contains "is writable by group or others (owner uid 0, mode 0757)"
	chmod o-w "$img/bin/busybox"
	chown 65534 "$img/etc/passwd"
	sandbox_in "$LEARN" -- true
	assert_refused "sandbox image $img: etc/passwd is owned by uid 65534"
	chown 0 "$img/etc/passwd"
	ln -s /etc/shadow "$img/etc/shadow"
	sandbox_in "$LEARN" -- true
	assert_refused "sandbox image $img: etc/shadow is neither a directory nor a regular file"
	rm "$img/etc/shadow"
	rm "$img/bin/sh"
	cp "$LIAR" "$img/bin/sh"
	sandbox_in "$LEARN" -- sh -c 'exit 3'
	assert_refused "sandbox image $img: bin/sh is not a hard link of bin/busybox"
}

@test "cache: a safe cache works; the image is root's, nothing in it writable by others, no temporary left" {
	local cache=$TESTDIR/cache
	sandbox_in "$cache" -- sh -c 'ls /bin/sh && echo ran'
	assert_success
	assert_output_contains ran
	local entries
	entries=$(ls -A "$cache")
	case "$entries" in
	sandbox-rootfs-*) ;;
	*) fail "cache holds: $entries" ;;
	esac
	[ "$(echo "$entries" | wc -l)" -eq 1 ] || fail "cache holds: $entries"
	local bad
	bad=$(find "$cache" ! -user 0 -o -perm /022 -o ! -type d ! -type f)
	[ -z "$bad" ] || fail "not root's only: $(ls -ld $bad)"
	[ "$(stat -c %a "$cache")" = 755 ] || fail "cache mode $(stat -c %a "$cache")"
	# Used again as is.
	local ino
	ino=$(stat -c %i "$cache/$entries")
	sandbox_in "$cache" -- true
	assert_success
	[ "$(stat -c %i "$cache/$entries")" = "$ino" ] || fail "rebuilt"
	[ "$(ls -A "$cache")" = "$entries" ] || fail "cache holds: $(ls -A "$cache")"
}

@test "cache: concurrent first uses all succeed and leave exactly one image, no temporary directory" {
	local round i
	for round in 1 2 3; do
		local cache=$TESTDIR/cache$round pids=()
		for i in 1 2 3 4 5 6; do
			AIRLOCK_CACHE=$cache "$AIRLOCK" --root "$ROOT" sandbox -- true </dev/null >"$WORK/out$i" 2>&1 &
			pids+=($!)
		done
		for i in 1 2 3 4 5 6; do
			wait "${pids[$((i - 1))]}" || fail "round $round, run $i failed: $(cat "$WORK/out$i")"
		done
		local entries
		entries=$(ls -A "$cache")
		[ "$(echo "$entries" | wc -l)" -eq 1 ] || fail "round $round: the cache holds: $entries"
		case "$entries" in
		sandbox-rootfs-*) ;;
		*) fail "round $round: the cache holds: $entries" ;;
		esac
	done
}
