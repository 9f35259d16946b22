#!/usr/bin/env bats
# The container's filesystem: mounts, readonly root, masked and readonly
# paths, /dev, devices, hostname, sysctl, no-pivot, symlink safety.

load helpers

# Mount options of the mount at $2 in mountinfo text $1 (field 6).
mount_opts() {
	echo "$1" | awk -v t="$2" '$5 == t { print $6 }' | tail -n1
}

@test "mounts appear in mountinfo with their flags" {
	update_config '.mounts += [{destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec", "size=1m"]}]'
	run_sh 'cat /proc/self/mountinfo'
	assert_success
	local opts
	opts=$(mount_opts "$output" /mnt/t)
	[ -n "$opts" ] || fail "/mnt/t not mounted: $output"
	local f
	for f in rw nosuid nodev noexec; do
		[[ ",$opts," == *",$f,"* ]] || fail "/mnt/t options $opts lack $f"
	done
	echo "$output" | awk '$5 == "/mnt/t"' | grep -q ' - tmpfs ' || fail "/mnt/t is not tmpfs"
	# The standard mounts, too.
	for f in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys; do
		[ -n "$(mount_opts "$output" "$f")" ] || fail "$f not mounted"
	done
	[[ ",$(mount_opts "$output" /sys)," == *,ro,* ]] || fail "/sys not ro"
}

@test "a read-only bind mount shows the host directory and refuses writes" {
	mkdir "$WORK/data"
	echo from-host >"$WORK/data/file"
	update_config --arg src "$WORK/data" '.mounts += [{destination: "/data", type: "bind", source: $src, options: ["rbind", "ro"]}]'
	run_sh 'cat /data/file; touch /data/new && echo wrote'
	assert_output_contains from-host
	refute_output_contains wrote
	[ ! -e "$WORK/data/new" ]
}

@test "a read-write bind mount writes through to the host" {
	mkdir "$WORK/data"
	update_config --arg src "$WORK/data" '.mounts += [{destination: "/data", type: "bind", source: $src, options: ["rbind", "rw"]}]'
	run_sh 'echo hi > /data/new'
	assert_success
	[ "$(cat "$WORK/data/new")" = hi ]
}

@test "a read-only root refuses writes" {
	update_config '.root.readonly = true'
	run_sh 'touch /x'
	assert_failure
	assert_output_contains "Read-only file system"
	[ ! -e "$BUNDLE/rootfs/x" ]
}

@test "a read-write root accepts writes" {
	update_config '.root.readonly = false'
	run_sh 'touch /x'
	assert_success
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "masked paths read empty" {
	# /proc/kcore when this kernel has it, else another non-empty proc file.
	local f
	for f in /proc/kcore /proc/timer_list /proc/keys; do
		[ -e "$f" ] && break
	done
	update_config --arg f "$f" '.linux.maskedPaths = [$f, "/sys/firmware"]'
	run_sh "wc -c < $f; ls -A /sys/firmware | wc -l"
	assert_success
	[ "${lines[0]}" = 0 ] || fail "$f: ${lines[0]} bytes"
	[ "${lines[1]}" = 0 ] || fail "/sys/firmware not empty"
}

@test "readonly paths refuse writes" {
	update_config '.linux.readonlyPaths = ["/proc/sys"]'
	run_sh 'echo other > /proc/sys/kernel/hostname'
	assert_failure
	assert_output_contains "Read-only file system"
	run_sh 'cat /proc/self/mountinfo'
	[[ ",$(mount_opts "$output" /proc/sys)," == *,ro,* ]] || fail "/proc/sys not ro: $output"
}

@test "/dev has the standard devices and links" {
	run_sh 'cd /dev; for f in null zero full random urandom tty; do echo "$f $(stat -c "%F %t:%T" $f)"; done;
		for f in ptmx pts shm fd stdin stdout stderr; do [ -e $f ] && echo "$f ok"; done;
		for f in fd stdin stdout stderr; do readlink $f; done; echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1'
	assert_success
	local want
	for want in "null character special file 1:3" "zero character special file 1:5" \
		"full character special file 1:7" "random character special file 1:8" \
		"urandom character special file 1:9" "tty character special file 5:0" \
		"ptmx ok" "pts ok" "shm ok" "fd ok" "stdin ok" "stdout ok" "stderr ok" \
		/proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 null-ok; do
		assert_output_contains "$want"
	done
	assert_output_contains "00 00 00 00"
}

@test "linux.devices creates the node with its mode and owner" {
	update_config '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 416, uid: 0, gid: 5}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
	run_sh 'stat -c "%F %t:%T %a %u:%g" /dev/mynull; echo x > /dev/mynull && echo write-ok'
	assert_success
	assert_output_contains "character special file 1:3 640 0:5"
	assert_output_contains write-ok
}

@test "hostname" {
	update_config '.hostname = "box1"'
	run_sh 'hostname'
	assert_success
	assert_output box1
	[ "$(hostname)" != box1 ]
}

@test "domainname (airlock)" {
	is_airlock || skip "runc 1.1 ignores domainname"
	update_config '.hostname = "box1" | .domainname = "example.test"'
	run_sh 'hostname; cat /proc/sys/kernel/domainname'
	assert_success
	[ "${lines[0]}" = box1 ]
	[ "${lines[1]}" = example.test ]
}

@test "sysctl is set inside the container's network namespace only" {
	local host
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	local want=1
	[ "$host" = 0 ] || want=0
	update_config --arg v "$want" '.linux.sysctl = {"net.ipv4.ip_forward": $v}'
	run_sh 'cat /proc/sys/net/ipv4/ip_forward'
	assert_success
	assert_output "$want"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}

@test "run --no-pivot works" {
	set_args sh -c 'ls /bin/busybox && echo ok'
	run al run --no-pivot --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output_contains ok
}

@test "a symlink in the rootfs cannot redirect a mount to the host" {
	local host_dir=$WORK/escape
	mkdir "$host_dir"
	ln -s "$host_dir" "$BUNDLE/rootfs/evil"
	update_config '.mounts += [{destination: "/evil", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	run_sh 'touch /evil/inside; echo done'
	# Whether the runtime refuses or mounts inside the rootfs, the host
	# directory stays untouched.
	[ -z "$(ls -A "$host_dir")" ] || fail "host dir written: $(ls -A "$host_dir")"
	! grep -qF " $host_dir " /proc/self/mountinfo || fail "mount on the host path"
}

@test "a relative symlink climbing out of the rootfs stays inside" {
	local host_dir=$WORK/escape2
	mkdir "$host_dir"
	ln -s "../../../../../../../../$host_dir" "$BUNDLE/rootfs/evil2"
	update_config '.mounts += [{destination: "/evil2/sub", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	run_sh 'touch /evil2/sub/inside; echo done'
	[ -z "$(ls -A "$host_dir")" ] || fail "host dir written: $(ls -A "$host_dir")"
	! grep -qF "$host_dir" /proc/self/mountinfo || fail "mount on the host path"
}
