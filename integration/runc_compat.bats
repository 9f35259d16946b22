#!/usr/bin/env bats
# Behaviour that runc's clients (podman, conmon, containerd, runc's own
# integration tests) depend on, beyond what the runtime spec says.

load helpers

# A created container whose init waits (never exits on its own).
create_waiting() {
	set_args sleep 1000
	create_container
}

@test "kill with signal 0 checks the container is alive and sends nothing" {
	make_fifos ready go
	# Any signal but 0 would end it with 128+N, or with 7 from its trap.
	set_args sh -c 'for s in HUP INT QUIT USR1 USR2 TERM; do trap "exit 7" $s; done; echo ready > /ready; read x < /go'
	create_container
	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null
	run al kill "$ID" 0
	assert_success
	[ "$(state_field .status)" = running ] || fail "status after kill 0: $(state_field .status)"
	al kill "$ID" KILL
	wait_status "$ID" stopped
	run al kill "$ID" 0
	assert_failure
	assert_airlock_output_contains "not running"
}

@test "ps of a stopped container succeeds: ps's header only, null in json" {
	set_args true
	create_container
	al start "$ID"
	wait_status "$ID" stopped
	run al ps --format json "$ID"
	assert_success
	assert_output null
	run al ps "$ID"
	assert_success
	[ "${#lines[@]}" -eq 1 ] || fail "more than the header: $output"
	case "${lines[0]}" in
	*PID*CMD*) ;;
	*) fail "no ps header: $output" ;;
	esac
}

@test "exec exits 255 when exec itself fails, else with the program's status" {
	create_waiting
	al start "$ID"
	run al exec "$ID" sh -c 'exit 3'
	assert_status 3
	run al exec "$ID" /no/such/program
	assert_status 255
	assert_airlock_output_contains /no/such/program
	run al exec --cwd /no/such/dir "$ID" true
	assert_status 255
	run al exec nosuchcontainer true
	assert_status 255
	al kill "$ID" KILL
	wait_status "$ID" stopped
	run al exec "$ID" true
	assert_status 255
}

@test "terminal: the pty belongs to the process's uid, group tty, mode 0620; the user can reopen it" {
	update_config '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
	set_args sh -c 'stat -c "%u %g %a" "$(tty)"; echo hi > "$(tty)" && echo reopened'
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	# Exactly: no "\r" either (ONLCR is off).
	assert_output $'1000 5 620\nhi\nreopened'
}

@test "terminal: exec -t -u gives the exec'd user its pty too" {
	create_waiting
	al start "$ID"
	run al exec -t -u 1000:1000 "$ID" sh -c 'stat -c "%u %g %a" "$(tty)"; echo hi > "$(tty)" && echo reopened' </dev/null
	assert_success
	assert_output $'1000 5 620\nhi\nreopened'
}

@test "terminal: the console socket's pty does not turn \\n into \\r\\n" {
	update_config '.process.terminal = true'
	set_args printf 'one\ntwo\n'
	mkfifo "$WORK/ready"
	python3 "$BATS_TEST_DIRNAME/recvtty.py" "$WORK/tty.sock" "$WORK/ready" >"$WORK/tty.out" 2>"$WORK/tty.err" &
	local recv=$!
	wait_fifo "$WORK/ready" >/dev/null
	create_container --console-socket "$WORK/tty.sock"
	al start "$ID"
	local rc=0
	wait "$recv" || rc=$?
	[ "$rc" -eq 0 ] || fail "recvtty: $(cat "$WORK/tty.err")"
	[ "$(od -An -c "$WORK/tty.out" | tr -s ' ')" = " o n e \n t w o \n" ] || fail "pty output: $(od -c "$WORK/tty.out")"
}

@test "createContainer hooks run with the rootfs as working directory" {
	update_config --arg out "$WORK/hook.cwd" '.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "pwd -P > \($out)"]}]'
	set_args true
	create_container
	[ "$(cat "$WORK/hook.cwd")" = "$(cd "$BUNDLE/rootfs" && pwd -P)" ] || fail "hook cwd: $(cat "$WORK/hook.cwd")"
}

# Replace the options of the mount at $1 (a jq array in $2).
mount_options() {
	update_config --arg d "$1" --argjson o "$2" '(.mounts[] | select(.destination == $d) | .options) = $o'
}

@test "a read-only /dev tmpfs works: its nodes and /dev/pts are there, and it is read-only" {
	mount_options /dev '["nosuid", "strictatime", "mode=755", "size=65536k", "ro"]'
	run_sh 'test -c /dev/null && test -L /dev/ptmx && test -d /dev/pts && echo nodes;
		touch /dev/new 2>/dev/null || echo ro; echo x > /dev/null && echo null-writable;
		awk "\$2 == \"/dev\" { print \$4 }" /proc/self/mounts | cut -d, -f1'
	assert_success
	assert_output $'nodes\nro\nnull-writable\nro'
}

@test "a read-only tmpfs is read-only once its mode is set and the mounts below it are made" {
	mkdir -m 0750 "$BUNDLE/rootfs/srv"
	update_config '.mounts += [{destination: "/srv", type: "tmpfs", source: "tmpfs", options: ["ro", "size=1m"]},
		{destination: "/srv/below", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	run_sh 'stat -c %a /srv; touch /srv/x 2>/dev/null || echo ro; touch /srv/below/x && echo below-rw'
	assert_success
	assert_output $'750\nro\nbelow-rw'
}

@test "a tmpfs without mode= takes the mode of the directory it covers" {
	mkdir -m 0710 "$BUNDLE/rootfs/srv"
	mkdir -m 0700 "$BUNDLE/rootfs/opt"
	chmod 1777 "$BUNDLE/rootfs/tmp"
	update_config '.mounts += [{destination: "/srv", type: "tmpfs", source: "tmpfs", options: ["size=1m"]},
		{destination: "/opt", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=755"]},
		{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m"]},
		{destination: "/new", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	run_sh 'stat -c %a /srv /opt /tmp /new'
	assert_success
	# /new did not exist: the tmpfs default (1777).
	assert_output $'710\n755\n1777\n1777'
}

@test "tmpcopyup copies what the tmpfs covers: files, modes, owners, symlinks, fifos, xattrs" {
	local d=$BUNDLE/rootfs/data
	mkdir -p "$d/sub/deeper"
	echo hello >"$d/file"
	chmod 0604 "$d/file" # others may read: the container's root has no CAP_DAC_OVERRIDE
	chown 1000:1001 "$d/file"
	printf 'x%.0s' $(seq 1 100000) >"$d/sub/deeper/big"
	chmod 0751 "$d/sub"
	chown 1002:1003 "$d/sub"
	ln -s /etc/passwd "$d/abs-link"
	ln -s ../outside "$d/rel-link"
	mkfifo -m 0620 "$d/fifo"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.airlock", b"kept")' "$d/file"
	make_fifos ready go
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "size=1m"]}]'
	set_args sh -c 'cd /data && stat -c "%n %a %u:%g" file sub fifo && stat -c "%F" fifo && cat file &&
		wc -c < sub/deeper/big && readlink abs-link && readlink rel-link &&
		awk "\$2 == \"/data\" { print \$3 }" /proc/self/mounts &&
		echo new > newfile; echo ready > /ready; read x < /go'
	create_container
	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready" >/dev/null || fail "$(cat "$WORK/stdout" "$WORK/stderr")"
	local pid
	pid=$(state_field .pid)
	run python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.airlock").decode())' "/proc/$pid/root/data/file"
	echo go >"$BUNDLE/rootfs/go"
	wait_status "$ID" stopped
	assert_output kept
	output=$(cat "$WORK/stdout" "$WORK/stderr")
	assert_output "file 604 1000:1001
sub 751 1002:1003
fifo 620 0:0
fifo
hello
100000
/etc/passwd
../outside
tmpfs"
	# A copy: the rootfs is unchanged.
	[ ! -e "$d/newfile" ] || fail "written through to the rootfs"
}

@test "tmpcopyup follows no symlink out of the rootfs" {
	mkdir -p "$WORK/host/secretdir"
	echo secret >"$WORK/host/secretdir/secret"
	# The destination is a symlink to a host path; an entry is one too.
	ln -s "$WORK/host/secretdir" "$BUNDLE/rootfs/evil"
	mkdir "$BUNDLE/rootfs/data"
	ln -s "$WORK/host/secretdir" "$BUNDLE/rootfs/data/link"
	update_config '.mounts += [{destination: "/evil", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]},
		{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]}]'
	run_sh 'ls -A "$(readlink -f /evil)"; cat /data/link/secret 2>/dev/null || echo not-followed; readlink /data/link'
	assert_success
	refute_output_contains secret$'\n'
	assert_output "not-followed
$WORK/host/secretdir"
	[ "$(cat "$WORK/host/secretdir/secret")" = secret ]
}

@test "tmpcopyup is refused on a mount that is not a tmpfs" {
	is_airlock || skip "airlock's own check"
	mkdir -p "$WORK/src"
	update_config --arg s "$WORK/src" '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "tmpcopyup"]}]'
	run_create
	assert_failure
	assert_output_contains "option tmpcopyup: only for a tmpfs"
}
