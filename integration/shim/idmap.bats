#!/usr/bin/env bats
# containerd 2's idmapped rootfs, at the ttrpc level (issue 13): for a
# hostUsers: false pod, containerd 2 sends Create an overlay rootfs whose
# options carry uidmap=/gidmap= (its mount manager's, not overlayfs's) and a
# config with the user namespace's maps. The shim idmaps the lower dirs
# (runtime/lib/idmap_overlay.c): files owned by host root on disk are root's
# inside, and what container root writes lands with its host ids. No
# containerd Create here: our raw ttrpc client speaks to a running shim.

load helpers

MAP_HOST=200000

# A shim to talk to: one running task's.
setup() {
	CID=$(echo "t${CTD_DIR##*.}-$BATS_TEST_NUMBER" | tr 'A-Z' 'a-z')
	is_airlock_shim || skip "the airlock shim's idmapped overlays (RUNTIME=$RUNTIME)"
	run_detached "$CID" sleep 1000
	wait_task_status "$CID" RUNNING
	ADDR=$(shim_address "$CID")
	[ -n "$ADDR" ] || fail "no shim address for $CID"
	D=$(mktemp -d /tmp/al-idmap.XXXXXX)
	chmod 0755 "$D"
	NEW=$CID-idm
	BUNDLE=$D/bundle
	mkdir -p "$D/upper/fs" "$D/upper/work" "$D/out"
	chmod 0777 "$D/out"
	AIRLOCK=$BUILD_DIR/airlock "$SHIM_TOP/hack/mkbundle.sh" "$BUNDLE" >/dev/null
	# The lower dir: the busybox rootfs, host root's on disk.
	mv "$BUNDLE/rootfs" "$D/lower"
	mkdir "$BUNDLE/rootfs"
	chmod 0711 "$BUNDLE"
}

teardown() {
	if [ -n "${NEW:-}" ] && [ -n "${ADDR:-}" ]; then
		ttrpc "$ADDR" call Kill --ns "$NS" --id "$NEW" >/dev/null 2>&1 || true
		ttrpc "$ADDR" call Delete --ns "$NS" --id "$NEW" >/dev/null 2>&1 || true
	fi
	[ -z "${BUNDLE:-}" ] || umount -l "$BUNDLE/rootfs" 2>/dev/null || true
	[ -z "${D:-}" ] || rm -rf "$D"
	c task kill -s KILL "$CID" >/dev/null 2>&1 || true
	wait_task_status "$CID" STOPPED || true
	c task delete "$CID" >/dev/null 2>&1 || true
	c container delete "$CID" >/dev/null 2>&1 || true
	shim_teardown
}

# config.json: a new user namespace with maps 0..65535 -> MAP_HOST.., a
# writable host dir at /out, the process's args.
userns_config() {
	jq --arg out "$D/out" --argjson h "$MAP_HOST" '
		.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: $h, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $h, size: 65536}]
		| .mounts += [{destination: "/out", type: "bind", source: $out, options: ["rbind", "rw"]}]
		| .root.readonly = false
		| .process.args = $ARGS.positional' "$BUNDLE/config.json" --args -- "$@" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

create_idmapped() {
	ttrpc "$ADDR" create --ns "$NS" --id "$NEW" --bundle "$BUNDLE" \
		--rootfs-type overlay --rootfs-source overlay \
		--rootfs-option "lowerdir=$D/lower" --rootfs-option "upperdir=$D/upper/fs" \
		--rootfs-option "workdir=$D/upper/work" "$@"
}

@test "idmap (ttrpc): a containerd-2 Create with uidmap=/gidmap= overlay options: the container sees its files owned by root" {
	userns_config sh -c 'stat -c "%u:%g" /bin/busybox /etc >/out/owners; id -u >/out/id; echo new >/newfile; stat -c "%u:%g" /newfile >/out/newowner'
	run create_idmapped --rootfs-option "uidmap=0:$MAP_HOST:65536" --rootfs-option "gidmap=0:$MAP_HOST:65536"
	assert_success
	assert_output_contains "code=0"
	run ttrpc "$ADDR" call Start --ns "$NS" --id "$NEW"
	assert_output_contains "code=0"
	run ttrpc --timeout 30 "$ADDR" call Wait --ns "$NS" --id "$NEW"
	assert_output_contains "code=0"
	[ "$(cat "$D/out/owners")" = "$(printf '0:0\n0:0')" ] || fail "owners inside: $(cat "$D/out/owners")"
	[ "$(cat "$D/out/id")" = 0 ] || fail "id -u: $(cat "$D/out/id")"
	[ "$(cat "$D/out/newowner")" = 0:0 ] || fail "a new file inside: $(cat "$D/out/newowner")"
	# On the host: the lower layer is untouched, the new file is in the
	# upper dir with the mapped host ids.
	[ "$(stat -c %u:%g "$D/lower/bin/busybox")" = 0:0 ] || fail "lower chowned"
	[ "$(stat -c %u:%g "$D/upper/fs/newfile")" = "$MAP_HOST:$MAP_HOST" ] \
		|| fail "upper: $(stat -c %u:%g "$D/upper/fs/newfile")"
	run ttrpc "$ADDR" call Delete --ns "$NS" --id "$NEW"
	assert_output_contains "code=0"
	NEW=
	! grep -q " $BUNDLE/rootfs " /proc/self/mountinfo || fail "rootfs still mounted"
}

@test "idmap (ttrpc): without the idmap the same rootfs shows as nobody's (what the options fix)" {
	userns_config sh -c 'stat -c "%u" /bin/busybox >/out/owners'
	mkdir "$D/lower/out" # "/" is nobody's too: the runtime could not make it
	run create_idmapped
	assert_output_contains "code=0"
	ttrpc "$ADDR" call Start --ns "$NS" --id "$NEW" >/dev/null
	ttrpc --timeout 30 "$ADDR" call Wait --ns "$NS" --id "$NEW" >/dev/null
	[ "$(cat "$D/out/owners")" = 65534 ] || fail "owner inside: $(cat "$D/out/owners")"
}

@test "idmap (ttrpc): bad uidmap=/gidmap= options are a clear error naming the option, nothing mounted" {
	userns_config true
	run create_idmapped --rootfs-option "uidmap=0:$MAP_HOST:65536"
	assert_output_contains "uidmap= without gidmap="
	run create_idmapped --rootfs-option "uidmap=0:x:1" --rootfs-option "gidmap=0:1:1"
	assert_output_contains "mount option uidmap=0:x:1: expected CONTAINER:HOST:SIZE triples"
	! grep -q " $BUNDLE/rootfs " /proc/self/mountinfo || fail "rootfs left mounted"
	NEW=
}
