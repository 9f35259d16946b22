#!/usr/bin/env bats
# Hostile inputs driven through the airlock CLI: broken and oversized
# config.json, NUL bytes and bad UTF-8, duplicate keys, ids with path tricks,
# symlinked rootfs and mount targets, host disks as devices, hooks that hang
# or flood their output. Each case checks the exact message (what, where, why)
# and that nothing was left: no state dir, no cgroup, no mount, no process.
# Policies decided here are summarised in integration/hostile/README.md.
# Airlock only: runc's messages and limits differ.

load ../helpers

setup() {
	al_setup
	is_airlock || skip "these cases check airlock's own messages"
	CONFIG=$BUNDLE/config.json
	set_args sleep 100
}

# create with a bound on its run time (a hang is a failure, not a stuck
# suite); extra arguments go before the id. Sets $status and $output.
create_bounded() {
	status=0
	timeout -k 5 30 "$AIRLOCK" --root "$ROOT" create --bundle "$BUNDLE" "$@" </dev/null >"$WORK/create.out" 2>&1 || status=$?
	output=$(cat "$WORK/create.out")
	[ "$status" -ne 124 ] || fail "create did not finish in 30 s: $output"
}

# Nothing of container $1 (default $ID) is left on the host.
assert_nothing_created() {
	local id=${1-$ID} p leftover
	[ -z "$(al list -q 2>/dev/null)" ] || fail "container created: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1)" ] || fail "state left: $(ls -A "$ROOT")"
	if [ -n "$id" ] && [ "$id" != . ] && [ "$id" != .. ]; then
		[ ! -e "/sys/fs/cgroup/unified/airlock/$id" ] || fail "cgroup left: /sys/fs/cgroup/unified/airlock/$id"
	fi
	# By id only for this test's unique one ("." or "x" would match anything).
	if [ "$id" = "$ID" ]; then
		! grep -qF -- "$id" /proc/self/mountinfo || fail "mount left: $(grep -F -- "$id" /proc/self/mountinfo)"
	fi
	! grep -qF "$TESTDIR" /proc/self/mountinfo || fail "mount left: $(grep -F "$TESTDIR" /proc/self/mountinfo)"
	# A process of ours: one whose command line names the test dir (the
	# runtime, a hook, a container's init before its exec; after the exec
	# it would keep its cgroup, checked above). The glob is expanded before
	# grep starts, so grep does not see itself.
	leftover=$(grep -lF -- "$TESTDIR" /proc/[0-9]*/cmdline 2>/dev/null) || true
	for p in $leftover; do
		p=${p#/proc/}
		echo "left: ${p%%/*}: $(tr '\0' ' ' <"/proc/${p%%/*}/cmdline" 2>/dev/null)" >&2
	done
	[ -z "$leftover" ] || fail "processes left:$leftover"
}

# Expect create to fail with exactly "airlock: $1".
expect_refused() {
	create_bounded "$ID"
	assert_failure
	assert_output "airlock: $1"
	assert_nothing_created
}

# Wait (bounded, ~10 s) until pid $1 is gone.
wait_gone() {
	local i
	for i in $(seq 1 200); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	fail "process $1 still there"
}

# --- config.json: size and shape -------------------------------------------

@test "hostile: truncated config.json" {
	head -c 200 "$CONFIG" >"$WORK/cut" && mv "$WORK/cut" "$CONFIG"
	expect_refused "$CONFIG: invalid JSON: parse error: premature EOF"
}

@test "hostile: empty config.json" {
	: >"$CONFIG"
	expect_refused "$CONFIG: invalid JSON: parse error: premature EOF"
}

@test "hostile: a 100 MB config.json is refused by its size, before it is read" {
	truncate -s 100M "$CONFIG"
	expect_refused "\`$CONFIG\` is 104857600 bytes, more than the 4194304 allowed: File too large"
}

@test "hostile: a 50 MB string in config.json" {
	python3 - "$CONFIG" <<-'EOF'
		import json, sys
		c = json.load(open(sys.argv[1]))
		c["annotations"] = {"big": "x" * (50 << 20)}
		json.dump(c, open(sys.argv[1], "w"))
	EOF
	local size
	size=$(stat -c %s "$CONFIG")
	expect_refused "\`$CONFIG\` is $size bytes, more than the 4194304 allowed: File too large"
}

@test "hostile: a 3 MB string under the 4 MiB limit is accepted" {
	update_config --rawfile big <(head -c $((3 << 20)) /dev/zero | tr '\0' x) '.annotations.big = $big'
	create_bounded "$ID"
	assert_success
	[ "$(state_field .status)" = created ]
	al delete --force "$ID"
	assert_nothing_created
}

@test "hostile: config.json that is a FIFO, a device or a directory (never blocks)" {
	rm "$CONFIG"
	mkfifo "$CONFIG"
	expect_refused "\`$CONFIG\` is not a regular file"
	rm "$CONFIG"
	ln -s /dev/zero "$CONFIG"
	expect_refused "\`$CONFIG\` is not a regular file"
	rm "$CONFIG"
	mkdir "$CONFIG"
	expect_refused "\`$CONFIG\` is not a regular file"
}

@test "hostile: run of a bundle whose config.json is a FIFO: refused as not a regular file, never blocks (the monitor reads it as create does)" {
	rm "$CONFIG"
	mkfifo "$CONFIG"
	status=0
	timeout -k 5 30 "$AIRLOCK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/run.out" 2>&1 || status=$?
	output=$(cat "$WORK/run.out")
	[ "$status" -ne 124 ] || fail "run blocked on the FIFO: $output"
	assert_failure
	assert_output "airlock: \`$CONFIG\` is not a regular file"
	assert_nothing_created
}

@test "hostile: 10^5 nested arrays" {
	python3 -c 'print("[" * 100000)' >"$CONFIG"
	expect_refused "$CONFIG: invalid JSON: nesting deeper than 64 levels"
}

@test "hostile: 10^5 nested objects, closed" {
	python3 -c 'n = 100000; print("{\"a\":" * n + "1" + "}" * n)' >"$CONFIG"
	expect_refused "$CONFIG: invalid JSON: nesting deeper than 64 levels"
}

@test "hostile: 300000 tiny values under the size limit exceed the value budget" {
	# 4 MiB of "0," would be a 200 MB tree: refused at the 262145th value.
	python3 -c 'print("{\"ociVersion\":\"1.0.2\",\"x\":[" + ",".join(["0"] * 300000) + "]}")' >"$CONFIG"
	expect_refused "$CONFIG: x[262141]: more than 262144 values in the document"
}

@test "hostile: env entries that are not NAME=VALUE" {
	local n
	n=$(jq '.process.env | length' "$CONFIG")
	update_config '.process.env += ["=/evil"]'
	expect_refused "$CONFIG: process.env[$n]: \"=/evil\" is not NAME=VALUE"
	update_config '.process.env[-1] = "" | .process.env += ["X=1"]'
	expect_refused "$CONFIG: process.env[$n]: \"\" is not NAME=VALUE"
}

# --- strings: NUL bytes, UTF-8, duplicate keys -----------------------------

@test "hostile: NUL in process.args" {
	update_config '.process.args = ["sleep", "1\u0000; rm -rf /"]'
	expect_refused "$CONFIG: process.args[1]: string contains a NUL character (\\u0000)"
}

@test "hostile: NUL in process.env" {
	update_config '.process.env += ["LD_PRELOAD=\u0000/evil.so"]'
	local n
	n=$(($(jq '.process.env | length' "$CONFIG") - 1))
	expect_refused "$CONFIG: process.env[$n]: string contains a NUL character (\\u0000)"
}

@test "hostile: NUL in root.path, a mount source and a hook path" {
	update_config '.root.path = "rootfs\u0000/../../etc"'
	expect_refused "$CONFIG: root.path: string contains a NUL character (\\u0000)"
	update_config '.root.path = "rootfs" | .mounts += [{destination: "/mnt", type: "bind", source: "/tmp\u0000/etc", options: ["bind"]}]'
	local n
	n=$(($(jq '.mounts | length' "$CONFIG") - 1))
	expect_refused "$CONFIG: mounts[$n].source: string contains a NUL character (\\u0000)"
	update_config 'del(.mounts[-1]) | .hooks.prestart = [{path: "/bin/true\u0000x"}]'
	expect_refused "$CONFIG: hooks.prestart[0].path: string contains a NUL character (\\u0000)"
}

@test "hostile: NUL in an object key" {
	update_config '.annotations = {"ok": "1", "bad\u0000key": "2"}'
	expect_refused "$CONFIG: annotations: object key contains a NUL character (\\u0000)"
}

@test "hostile: invalid UTF-8 (malformed bytes)" {
	jq -c '.hostname = "HOSTNAME"' "$CONFIG" | sed 's/HOSTNAME/\xff\xfe/' >"$WORK/c" && mv "$WORK/c" "$CONFIG"
	expect_refused "$CONFIG: invalid JSON: lexical error: invalid bytes in UTF8 string"
}

@test "hostile: invalid UTF-8 that looks well formed (overlong /, surrogate, past U+10FFFF)" {
	local seq
	for seq in '\xc0\xaf' '\xe0\x80\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80'; do
		jq -c '.process.cwd = "/CWD"' "$CONFIG" | sed "s|/CWD|/..$seq..|" >"$WORK/c" && mv "$WORK/c" "$CONFIG"
		expect_refused "$CONFIG: process.cwd: string is not valid UTF-8"
	done
}

@test "hostile: duplicate keys" {
	# jq cannot write them: splice the text.
	jq -c '.process.args = ["sleep", "100"]' "$CONFIG" | sed 's/"args":/"args":["true"],"args":/' >"$WORK/c" && mv "$WORK/c" "$CONFIG"
	expect_refused "$CONFIG: process.args: duplicate key"
	jq -c '.annotations = {"k": "v"}' "$CONFIG" | sed 's/"args":\["true"\],//; s/"k":"v"/"k":"v","k":"w"/' >"$WORK/c" && mv "$WORK/c" "$CONFIG"
	expect_refused "$CONFIG: annotations.k: duplicate key"
}

# --- container ids -----------------------------------------------------------

# Expect create of id $1 (after `--`) to fail with "airlock: $2".
expect_bad_id() {
	create_bounded -- "$1"
	assert_failure
	assert_output "airlock: $2"
	assert_nothing_created "$1"
}

@test "hostile: ids with path tricks" {
	local allowed='only letters, digits, `_`, `+`, `-` and `.` are allowed'
	expect_bad_id ../x "invalid container id \"../x\": $allowed"
	expect_bad_id a/b "invalid container id \"a/b\": $allowed"
	expect_bad_id /etc "invalid container id \"/etc\": $allowed"
	expect_bad_id . 'invalid container id ".": not a name'
	expect_bad_id .. 'invalid container id "..": not a name'
	expect_bad_id "" "container id must not be empty"
	expect_bad_id -x 'invalid container id "-x": must not start with `-`'
	expect_bad_id --help 'invalid container id "--help": must not start with `-`'
	# The host's cgroup tree was not touched either.
	[ ! -e /sys/fs/cgroup/unified/x ] || fail "cgroup /sys/fs/cgroup/unified/x exists"
}

@test "hostile: ids with control characters are refused and shown escaped" {
	local allowed='only letters, digits, `_`, `+`, `-` and `.` are allowed'
	expect_bad_id $'a\nb' "invalid container id \"a\\nb\": $allowed"
	expect_bad_id $'a\x1b[31mred' "invalid container id \"a\\x1b[31mred\": $allowed"
	expect_bad_id $'tab\there' "invalid container id \"tab\\there\": $allowed"
	expect_bad_id $'caf\xc3\xa9' "invalid container id \"caf\\xc3\\xa9\": $allowed"
	expect_bad_id 'a"b' "invalid container id \"a\\\"b\": $allowed"
}

@test "hostile: very long ids: 129 bytes refused, 128 accepted" {
	local long
	long=$(printf 'a%.0s' $(seq 1 129))
	expect_bad_id "$long" "invalid container id \"$(printf 'a%.0s' $(seq 1 64))...\": 129 bytes long, more than the 128 allowed"
	long=$(printf 'b%.0s' $(seq 1 4096))
	expect_bad_id "$long" "invalid container id \"$(printf 'b%.0s' $(seq 1 64))...\": 4096 bytes long, more than the 128 allowed"
	ID=$(printf 'c%.0s' $(seq 1 120))${ID: -8}
	create_bounded "$ID"
	assert_success
	[ "$(state_field .status)" = created ]
	al delete --force "$ID"
	assert_nothing_created
}

# --- rootfs and mount targets ------------------------------------------------

@test "hostile: rootfs that is a symlink to /" {
	mv "$BUNDLE/rootfs" "$BUNDLE/real-rootfs"
	ln -s / "$BUNDLE/rootfs"
	expect_refused "$CONFIG: root.path: \`$BUNDLE/rootfs\` resolves to the host's root directory \`/\`"
	rm "$BUNDLE/rootfs"
	ln -s ../../../../../../../../../.. "$BUNDLE/rootfs"
	expect_refused "$CONFIG: root.path: \`$BUNDLE/rootfs\` resolves to the host's root directory \`/\`"
	update_config '.root.path = "/"'
	expect_refused "$CONFIG: root.path: \`/\` resolves to the host's root directory \`/\`"
}

@test "hostile: rootfs that is a symlink elsewhere is followed (as runc does)" {
	mv "$BUNDLE/rootfs" "$WORK/elsewhere"
	ln -s "$WORK/elsewhere" "$BUNDLE/rootfs"
	update_config '.root.readonly = false'
	run_sh 'echo hello > /written; cat /written'
	assert_success
	assert_output hello
	[ "$(cat "$WORK/elsewhere/written")" = hello ]
	assert_nothing_created
}

@test "hostile: a bind mount whose destination is a symlink to a host directory" {
	local host_dir=$WORK/host-dir
	mkdir "$host_dir" "$WORK/src"
	echo from-source >"$WORK/src/file"
	ln -s "$host_dir" "$BUNDLE/rootfs/evil"
	update_config --arg s "$WORK/src" '.mounts += [{destination: "/evil", type: "bind", source: $s, options: ["rbind", "ro"]}]'
	run_sh 'cat /evil/file'
	assert_success
	# Mounted inside the rootfs, at the symlink's target taken in the rootfs.
	assert_output from-source
	[ -z "$(ls -A "$host_dir")" ] || fail "host dir changed: $(ls -A "$host_dir")"
	! grep -qF " $host_dir " /proc/self/mountinfo || fail "mount on the host path"
	assert_nothing_created
}

@test "hostile: a file bind mount whose destination is a symlink to a host file" {
	local host_file=$WORK/host-file
	echo host-content >"$host_file"
	echo container-content >"$WORK/src-file"
	ln -s "$host_file" "$BUNDLE/rootfs/evil-file"
	update_config --arg s "$WORK/src-file" '.mounts += [{destination: "/evil-file", type: "bind", source: $s, options: ["bind", "rw"]}]'
	run_sh 'echo overwritten > /evil-file; cat /evil-file'
	assert_success
	assert_output overwritten
	[ "$(cat "$host_file")" = host-content ] || fail "host file changed: $(cat "$host_file")"
	! grep -qF " $host_file " /proc/self/mountinfo || fail "mount on the host path"
	assert_nothing_created
}

@test "hostile: a mount destination climbing with .. stays inside the rootfs" {
	local host_dir=$WORK/climb
	mkdir "$host_dir"
	update_config --arg d "/../../../../../../..$host_dir" '.mounts += [{destination: $d, type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	run_sh "touch '$host_dir/inside' && echo written"
	assert_success
	assert_output written
	[ -z "$(ls -A "$host_dir")" ] || fail "host dir written: $(ls -A "$host_dir")"
	! grep -qF " $host_dir " /proc/self/mountinfo || fail "mount on the host path"
	assert_nothing_created
}

@test "hostile: a device path through a symlink to a host directory" {
	local host_dir=$WORK/dev-escape
	mkdir "$host_dir"
	ln -s "$host_dir" "$BUNDLE/rootfs/evil"
	update_config '.linux.devices += [{path: "/evil/null", type: "c", major: 1, minor: 3, fileMode: 438}]'
	run_sh 'ls -l /evil/null'
	assert_success
	[ -z "$(ls -A "$host_dir")" ] || fail "node created on the host: $(ls -lA "$host_dir")"
	assert_nothing_created
}

# --- devices pointing at host disks -------------------------------------------
# Policy (as runc): linux.devices is honoured as written; what a container can
# do with the node is decided by the device cgroup (linux.resources.devices),
# which denies everything not allowed. The default rules allow mknod (m) of
# any block or char device but no open of a block device.

# The host's first disk from /proc/partitions: "major minor name".
host_disk() {
	local maj min blocks name
	while read -r maj min blocks name; do
		[ -n "$name" ] && [ -e "/sys/block/$name" ] && [ "$name" = "${name#loop}" ] || continue
		echo "$maj $min $name"
		return 0
	done < <(tail -n +3 /proc/partitions)
	return 1
}

@test "hostile: a host disk in linux.devices: the node exists, the device cgroup denies it" {
	local maj min name
	read -r maj min name < <(host_disk) || skip "no disk in /proc/partitions"
	update_config --argjson M "$maj" --argjson m "$min" \
		'.linux.devices += [{path: "/dev/hostdisk", type: "b", major: $M, minor: $m, fileMode: 384}]'
	run_sh 'stat -c "%t:%T %a" /dev/hostdisk; (exec 3</dev/hostdisk) && echo read-opened; (exec 4<>/dev/hostdisk) && echo rw-opened; true'
	assert_success
	assert_output_contains "$(printf '%x:%x' "$maj" "$min") 600"
	assert_output_contains "/dev/hostdisk: Operation not permitted"
	refute_output_contains opened
	assert_nothing_created
}

@test "hostile: a block device allowed read-only can be read, not opened for writing" {
	# /dev/loop0 (7:0) stands in for a disk: the host may forbid opening its
	# real disk even to root (this machine does: EPERM on /dev/vda).
	[ -b /dev/loop0 ] || skip "no /dev/loop0 on this host"
	(exec 5</dev/loop0) 2>/dev/null || skip "the host cannot open /dev/loop0"
	update_config '.linux.devices += [{path: "/dev/disk0", type: "b", major: 7, minor: 0, fileMode: 384}]'
	run_sh '(exec 3</dev/disk0) && echo read-opened; (exec 4<>/dev/disk0) && echo rw-opened; true'
	assert_output_contains "/dev/disk0: Operation not permitted"
	refute_output_contains opened
	update_config '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0, access: "r"}]'
	run_sh '(exec 3</dev/disk0) && echo read-opened; (exec 4<>/dev/disk0) && echo rw-opened; true'
	assert_output_contains read-opened
	assert_output_contains "/dev/disk0: Operation not permitted"
	refute_output_contains rw-opened
	assert_nothing_created
}

@test "hostile: mknod of a host disk inside the container gives a node that cannot be opened" {
	local maj min name
	read -r maj min name < <(host_disk) || skip "no disk in /proc/partitions"
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
		| .process.capabilities.permitted += ["CAP_MKNOD"]'
	run_sh "mknod /dev/d b $maj $min && echo made; (exec 3</dev/d) && echo read-opened; mknod /dev/l b 7 0 && (exec 4</dev/l) && echo loop-opened; true"
	assert_success
	assert_output_contains made
	assert_output_contains "/dev/d: Operation not permitted"
	refute_output_contains opened
	assert_nothing_created
}

# --- hooks ---------------------------------------------------------------------

@test "hostile: a hook that hangs past its timeout is killed with what it started" {
	cat >"$WORK/hang.sh" <<-EOF
		#!/bin/sh
		echo started
		sleep 1000 &
		echo \$! > $WORK/child.pid
		wait
	EOF
	chmod 0755 "$WORK/hang.sh"
	update_config --arg p "$WORK/hang.sh" '.hooks.createRuntime = [{path: "/bin/true"}, {path: $p, timeout: 1}]'
	local t0=$SECONDS
	expect_refused "container \"$ID\": createRuntime hook #1 \`$WORK/hang.sh\` timed out after 1 s; output: \"started\\n\""
	[ $((SECONDS - t0)) -lt 10 ] || fail "took $((SECONDS - t0)) s"
	wait_gone "$(cat "$WORK/child.pid")"
}

@test "hostile: a hook without a timeout is waited for until it ends (as runc)" {
	cat >"$WORK/forever.sh" <<-EOF
		#!/bin/sh
		echo \$\$ > $WORK/hook.pid
		echo waiting forever
		exec sleep 100000
	EOF
	chmod 0755 "$WORK/forever.sh"
	update_config --arg p "$WORK/forever.sh" '.hooks.prestart = [{path: $p}]'
	"$AIRLOCK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/create.out" 2>&1 &
	local create_pid=$! i
	for i in $(seq 1 200); do
		[ -s "$WORK/hook.pid" ] && break
		sleep 0.05
	done
	[ -s "$WORK/hook.pid" ] || fail "the hook did not start"
	# Still waiting 2 s later (bounded: timeout ends the wait).
	run timeout 2 tail --pid="$create_pid" -f /dev/null
	[ "$status" -eq 124 ] || fail "create ended: $(cat "$WORK/create.out")"
	# The way out is to kill the hook: create then fails and cleans up.
	kill -KILL "$(cat "$WORK/hook.pid")"
	status=0
	wait "$create_pid" || status=$?
	output=$(cat "$WORK/create.out")
	assert_failure
	assert_output "airlock: container \"$ID\": prestart hook #0 \`$WORK/forever.sh\` was killed by signal SIGKILL; output: \"waiting forever\\n\""
	assert_nothing_created
}

@test "hostile: a failing hook that prints megabytes: no deadlock, a bounded tail in the error" {
	cat >"$WORK/flood.sh" <<-'EOF'
		#!/bin/sh
		head -c 16777216 /dev/zero | tr '\0' o
		head -c 16777216 /dev/zero | tr '\0' e >&2
		echo the-end
		exit 3
	EOF
	chmod 0755 "$WORK/flood.sh"
	update_config --arg p "$WORK/flood.sh" '.hooks.prestart = [{path: $p, timeout: 60}]'
	local tail_
	tail_=$(printf 'e%.0s' $(seq 1 1016))
	local t0=$SECONDS
	expect_refused "container \"$ID\": prestart hook #0 \`$WORK/flood.sh\` exited with status 3; output (last 1024 of 33554440 bytes): \"${tail_}the-end\\n\""
	[ $((SECONDS - t0)) -lt 30 ] || fail "took $((SECONDS - t0)) s"
}

@test "hostile: a succeeding hook that prints megabytes: its output is discarded" {
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "head -c 33554432 /dev/zero; head -c 1048576 /dev/zero >&2"]}]'
	create_bounded "$ID"
	assert_success
	assert_output ""
	[ "$(state_field .status)" = created ]
	al delete --force "$ID"
	assert_nothing_created
}
