#!/usr/bin/env bats
# A config that asks to write a sysctl of the host: one that no kernel
# namespace holds (kernel.pid_max, vm.*), or one of a namespace the container
# shares with the host (net.* without a network namespace of its own, or with
# the host's joined by path; kernel.shm* without its own ipc namespace;
# kernel.hostname without its own uts namespace). Each is refused before
# anything is created, with a message naming the linux.sysctl key and why.
# The values asked for are the host's current ones, so that a runtime that
# wrongly writes them leaves the host as it was.

load ../helpers

setup() {
	al_setup
	SIDE_PID=
}

teardown() {
	if [ -n "$SIDE_PID" ]; then
		kill "$SIDE_PID" 2>/dev/null || true
		wait "$SIDE_PID" 2>/dev/null || true
	fi
	al_teardown
}

# host_sysctl KEY: the host's value (dots in KEY).
host_sysctl() {
	tr -s ' \t' ' ' <"/proc/sys/$(echo "$1" | tr . /)"
}

# ask KEY [jq filter on the config]: a config writing KEY with the host's value.
ask() {
	local key=$1 filter=${2:-.}
	update_config --arg k "$key" --arg v "$(host_sysctl "$key")" \
		".linux.sysctl = {(\$k): \$v} | $filter"
	set_args true
}

# refused KEY WORDS: the create failed, named the key and said WORDS, and
# left nothing behind.
refused() {
	assert_failure
	assert_airlock_output_contains "linux.sysctl[\"$1\"]"
	assert_airlock_output_contains "$2"
	[ -z "$(al list -q 2>/dev/null)" ] || fail "container created: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d)" ] || fail "state left: $(ls -A "$ROOT")"
}

no_ns() {
	echo "del(.linux.namespaces[] | select(.type == \"$1\"))"
}

@test "sysctl: a key of no namespace (kernel.pid_max) is refused" {
	ask kernel.pid_max
	run_create
	refused kernel.pid_max "not in a kernel namespace"
}

@test "sysctl: vm.* is refused even with every namespace of its own" {
	ask vm.overcommit_memory '.linux.namespaces |= (. + [{"type": "user"}, {"type": "cgroup"}] | unique_by(.type))
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run_create
	refused vm.overcommit_memory "not in a kernel namespace"
}

@test "sysctl: net.* in the host's network namespace (no network entry) is refused" {
	ask net.ipv4.ip_local_port_range "$(no_ns network)"
	run_create
	refused net.ipv4.ip_local_port_range "shares the host's network namespace"
}

@test "sysctl: net.* in the host's network namespace joined by path is refused" {
	ask net.ipv4.ip_forward '(.linux.namespaces[] | select(.type == "network")) .path = "/proc/self/ns/net"'
	run_create
	refused net.ipv4.ip_forward "namespace joined by linux.namespaces path is the host's own"
	# The same through a path of the runtime's pid (what /proc/self means).
	update_config --arg p "/proc/$$/ns/net" '(.linux.namespaces[] | select(.type == "network")) .path = $p'
	run_create
	refused net.ipv4.ip_forward "is the host's own"
}

@test "sysctl: net.* in another network namespace joined by path is applied there" {
	# The child says (through a FIFO) when it has its own network namespace.
	mkfifo "$WORK/ready"
	unshare -n sh -c 'echo ready >"$1"; exec sleep 1000' sh "$WORK/ready" &
	SIDE_PID=$!
	local r
	read -r r <"$WORK/ready"
	[ "$r" = ready ]
	[ "$(readlink /proc/$SIDE_PID/ns/net)" != "$(readlink /proc/self/ns/net)" ]
	local host want=1
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	[ "$host" = 0 ] || want=0
	update_config --arg p "/proc/$SIDE_PID/ns/net" --arg v "$want" \
		'.linux.sysctl = {"net.ipv4.ip_forward": $v}
		| (.linux.namespaces[] | select(.type == "network")) .path = $p'
	run_sh 'cat /proc/sys/net/ipv4/ip_forward'
	assert_success
	assert_output "$want"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ] || fail "the host's ip_forward changed"
	[ "$(nsenter -t "$SIDE_PID" -n cat /proc/sys/net/ipv4/ip_forward)" = "$want" ]
}

@test "sysctl: kernel.shm_rmid_forced without an ipc namespace of its own is refused" {
	ask kernel.shm_rmid_forced "$(no_ns ipc)"
	run_create
	refused kernel.shm_rmid_forced "shares the host's ipc namespace"
	# fs.mqueue.* is the ipc namespace's too.
	ask fs.mqueue.msg_max "$(no_ns ipc)"
	run_create
	refused fs.mqueue.msg_max "shares the host's ipc namespace"
}

@test "sysctl: kernel.hostname without a uts namespace of its own is refused" {
	ask kernel.hostname "$(no_ns uts) | del(.hostname)"
	run_create
	refused kernel.hostname "shares the host's uts namespace"
}

@test "sysctl: namespaced keys in the container's own namespaces are applied" {
	update_config '.linux.sysctl = {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_local_port_range": "20000 40000",
		"kernel.domainname": "sysctl.test"}'
	run_sh 'cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_local_port_range /proc/sys/kernel/domainname'
	assert_success
	[ "$(echo "$output" | tr -s ' \t' ' ')" = "$(printf '1\n20000 40000\nsysctl.test')" ] || fail "got: $output"
}
