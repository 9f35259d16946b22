# helpers.bash: a private containerd 1.6 per test file, driving a shim v2.
#
# setup_file starts containerd with its own root, state, config and grpc
# socket under $CTD_DIR (a temp dir), PATH with build/ first so that
# `containerd-shim-airlock-v2` is found by name, and the CRI plugin set up
# with our pause image and the runtimes `airlock` and `runc`. It imports the
# busybox image (hack/mkimage.sh) into the ctr namespace $NS and busybox +
# pause into k8s.io. teardown_file stops containerd by pid, kills any process
# the tests left behind (found by cwd under $CTD_DIR or our socket on their
# command line, never by name), unmounts what is left, and fails on leaks.
#
# CRI_DISABLE_CGROUP=true sets the CRI plugin's disable_cgroup (no cgroup
# path, no default sandbox cpu shares): on this cgroup v1/v2 hybrid host the
# cgroup v2 tree has no cpu controller, so a runtime that only uses v2 cannot
# honour the cpu shares CRI always puts on a sandbox.
#
# The shims inherit containerd's environment: AIRLOCK_MISSING_CONTROLLERS=warn
# is airlock's explicit opt-in to run without the limits whose controller
# this hybrid host's cgroup v2 tree lacks (CRI always sets cpu shares on a
# sandbox; there is no cpu controller in the v2 tree here). The shim tests
# set it unless AIRLOCK_MISSING_CONTROLLERS is already set.
#
# CTD_AIRLOCK_EXTRA (lines for the CRI runtime `airlock`'s table, e.g.
# pod_annotations) and CTD_RUNTIMES_EXTRA (more runtime tables) are added to
# the CRI config when set.
#
# CRI_CNI=1 gives the CRI plugin a pod network: containernetworking-plugins'
# bridge, host-local and loopback (hack/deps.sh) linked into $CTD_DIR/cni/bin
# and a conflist for a bridge of our own ($CNI_BRIDGE, a random 10.X.Y.0/24,
# host-local's leases under $CTD_DIR); teardown_file deletes the bridge.
#
# RUNTIME selects the shim: io.containerd.airlock.v2 (default) or
# io.containerd.runc.v2, to validate the tests themselves:
#   RUNTIME=io.containerd.runc.v2 bats integration/shim

SHIM_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SHIM_TOP/build}
RUNTIME=${RUNTIME:-io.containerd.airlock.v2}
PYTHON=${PYTHON:-/usr/bin/python3}
NS=${NS:-airlock-test}
IMAGE=localhost/airlock/busybox:test
PAUSE_IMAGE=localhost/airlock/pause:test
IMAGE_CACHE=${AIRLOCK_CACHE:-/var/tmp/airlock-cache}/images
export RUNTIME PYTHON NS IMAGE PAUSE_IMAGE

# CRI runtime handler matching $RUNTIME.
case $RUNTIME in
io.containerd.runc.v2) HANDLER=runc ;;
*) HANDLER=airlock ;;
esac
export HANDLER

is_airlock_shim() { [ "$RUNTIME" = io.containerd.airlock.v2 ]; }

fail() {
	echo "$@" >&2
	return 1
}

# ---- containerd ---------------------------------------------------------

# Wait (bounded) until containerd answers on its socket.
ctd_wait_ready() {
	local i
	for i in $(seq 1 200); do
		if ! kill -0 "$CTD_PID" 2>/dev/null; then
			tail -20 "$CTD_DIR/containerd.log" >&2
			fail "containerd exited during startup"
			return 1
		fi
		ctr --address "$CTD_SOCK" --timeout 1s version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "containerd not ready after 10 s"
}

ctd_write_config() {
	cat >"$CTD_DIR/config.toml" <<-EOF
	version = 2
	root = "$CTD_DIR/root"
	state = "$CTD_DIR/state"
	disabled_plugins = ["io.containerd.snapshotter.v1.btrfs",
	  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
	  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

	[grpc]
	  address = "$CTD_SOCK"
	[debug]
	  level = "debug"
	[metrics]
	  address = ""

	[plugins."io.containerd.internal.v1.opt"]
	  path = "$CTD_DIR/opt"
	[plugins."io.containerd.grpc.v1.cri"]
	  sandbox_image = "$PAUSE_IMAGE"
	  restrict_oom_score_adj = true
	  disable_cgroup = ${CRI_DISABLE_CGROUP:-false}
	  stream_server_address = "127.0.0.1"
	  stream_server_port = "0"
	  enable_selinux = false
	  [plugins."io.containerd.grpc.v1.cri".cni]
	    bin_dir = "$CTD_DIR/cni/bin"
	    conf_dir = "$CTD_DIR/cni/conf"
	  [plugins."io.containerd.grpc.v1.cri".containerd]
	    snapshotter = "overlayfs"
	    default_runtime_name = "runc"
	    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
	      runtime_type = "io.containerd.runc.v2"
	    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.airlock]
	      runtime_type = "io.containerd.airlock.v2"
	${CTD_AIRLOCK_EXTRA:-}
	${CTD_RUNTIMES_EXTRA:-}
	EOF
}

# Start containerd in the background; $CTD_PID, log in $CTD_DIR/containerd.log.
ctd_start() {
	# build/ first: containerd 1.6.20 finds shims by name in its PATH.
	AIRLOCK_MISSING_CONTROLLERS=${AIRLOCK_MISSING_CONTROLLERS:-warn} \
	PATH="$BUILD_DIR:$PATH" containerd --config "$CTD_DIR/config.toml" \
		</dev/null >>"$CTD_DIR/containerd.log" 2>&1 3>&- &
	CTD_PID=$!
	echo "$CTD_PID" >"$CTD_DIR/containerd.pid"
	ctd_wait_ready
}

# Stop containerd (SIGTERM, bounded; then SIGKILL). Shims keep running.
ctd_stop() {
	local pid i
	pid=$(cat "$CTD_DIR/containerd.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	rm -f "$CTD_DIR/containerd.pid"
}

ctd_restart() {
	ctd_stop
	ctd_start
}

# Build (cached, keyed by the script and busybox) and return an image tar.
image_tar() {
	local kind=$1 name=$2 key tar
	key=$(cat "$SHIM_TOP/hack/mkimage.sh" /bin/busybox | sha256sum | cut -c1-16)
	tar=$IMAGE_CACHE/$kind-$key.tar
	if ! [ -s "$tar" ]; then
		mkdir -p "$IMAGE_CACHE"
		"$SHIM_TOP/hack/mkimage.sh" "$kind" "$name" "$tar.$$" >/dev/null
		mv "$tar.$$" "$tar"
	fi
	echo "$tar"
}

ensure_python_grpc() {
	"$PYTHON" -c 'import grpc, grpc_tools, google.protobuf' 2>/dev/null && return 0
	DEBIAN_FRONTEND=noninteractive apt-get install -y python3-grpcio python3-grpc-tools \
		python3-protobuf >&2
	"$PYTHON" -c 'import grpc, grpc_tools, google.protobuf'
}

shim_setup_file() {
	CTD_DIR=$(mktemp -d /tmp/al-ctd.XXXXXX)
	chmod 0755 "$CTD_DIR"
	CTD_SOCK=$CTD_DIR/containerd.sock
	CRI_GEN_DIR=$CTD_DIR/cri-gen
	export CRI_GEN_DIR
	mkdir -p "$CTD_DIR/cni/bin" "$CTD_DIR/cni/conf" "$CTD_DIR/work"
	export CTD_DIR CTD_SOCK
	if [ "$RUNTIME" = io.containerd.airlock.v2 ] \
		&& ! [ -x "$BUILD_DIR/containerd-shim-airlock-v2" ]; then
		fail "$BUILD_DIR/containerd-shim-airlock-v2 missing: run make (or RUNTIME=io.containerd.runc.v2)"
		return 1
	fi
	ctd_write_config
	[ "${CRI_CNI:-}" != 1 ] || cni_setup || return 1
	ctd_start
	local bb pause
	bb=$(image_tar busybox "$IMAGE")
	pause=$(image_tar pause "$PAUSE_IMAGE")
	ctr --address "$CTD_SOCK" -n "$NS" image import "$bb" >/dev/null
	if [ "${SHIM_NEED_CRI:-}" = 1 ]; then
		ensure_python_grpc
		ctr --address "$CTD_SOCK" -n k8s.io image import "$bb" >/dev/null
		ctr --address "$CTD_SOCK" -n k8s.io image import "$pause" >/dev/null
	fi
}

CNI_PLUGIN_DIR=${CNI_PLUGIN_DIR:-/usr/lib/cni}

cni_setup() {
	local p
	for p in bridge host-local loopback; do
		[ -x "$CNI_PLUGIN_DIR/$p" ] \
			|| { fail "$CNI_PLUGIN_DIR/$p missing: run hack/deps.sh (containernetworking-plugins)"; return 1; }
		ln -s "$CNI_PLUGIN_DIR/$p" "$CTD_DIR/cni/bin/$p"
	done
	# Interface names: at most 15 bytes; the temp dir's suffix is 6.
	CNI_BRIDGE=al${CTD_DIR##*.}
	CNI_SUBNET=10.$((200 + RANDOM % 50)).$((RANDOM % 250)).0/24
	export CNI_BRIDGE CNI_SUBNET
	echo "$CNI_BRIDGE" >"$CTD_DIR/cni/bridge"
	cat >"$CTD_DIR/cni/conf/10-airlock-test.conflist" <<-EOF
	{
	  "cniVersion": "0.4.0",
	  "name": "airlock-test-${CTD_DIR##*.}",
	  "plugins": [
	    {
	      "type": "bridge",
	      "bridge": "$CNI_BRIDGE",
	      "isGateway": true,
	      "ipMasq": false,
	      "ipam": {
	        "type": "host-local",
	        "dataDir": "$CTD_DIR/cni/ipam",
	        "ranges": [[{ "subnet": "$CNI_SUBNET" }]]
	      }
	    }
	  ]
	}
	EOF
	# lo: containerd's CRI plugin adds loopback itself (the binary above).
}

# Delete the bridge cni_setup's network made (the CNI plugins never do).
cni_teardown() {
	local br
	br=$(cat "$CTD_DIR/cni/bridge" 2>/dev/null) || return 0
	[ -n "$br" ] || return 0
	if ip link show "$br" >/dev/null 2>&1; then
		ip link del "$br" || true
	fi
}

# Every process the tests started and left: cwd under $CTD_DIR (shims sit in
# their bundle, containers in bundle/rootfs) or our socket in their argv.
shim_stray_pids() {
	{
		find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$CTD_DIR/*" 2>/dev/null \
			| cut -d/ -f3
		# The socket as a whole argv element (so grep does not find itself).
		grep -laP -- "\\x00\\Q$CTD_SOCK\\E\\x00" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
	} | grep -vx -e "$$" -e "${CTD_PID:-none}" -e self | sort -un
}

# Shim socket paths recorded in bundles' `address` files.
shim_sockets() {
	local f a
	for f in "$CTD_DIR"/state/io.containerd.runtime.v2.task/*/*/address; do
		[ -f "$f" ] || continue
		a=$(cat "$f")
		case $a in unix://*) echo "${a#unix://}" ;; esac
	done
}

shim_mounts() {
	grep -F " $CTD_DIR/" /proc/self/mountinfo | awk '{print $5}' || true
}

# Delete every task and container in the namespaces we use (through
# containerd), then wait (bounded) for the shims to go.
shim_cleanup_tasks() {
	local ns id
	kill -0 "$(cat "$CTD_DIR/containerd.pid" 2>/dev/null)" 2>/dev/null || return 0
	if [ "${SHIM_NEED_CRI:-}" = 1 ]; then
		local pod
		for pod in $(cri pods-q 2>/dev/null); do
			cri stop-pod "$pod" >/dev/null 2>&1 || true
			cri rm-pod "$pod" >/dev/null 2>&1 || true
		done
	fi
	for ns in "$NS" k8s.io; do
		for id in $(ctr --address "$CTD_SOCK" -n "$ns" task ls -q 2>/dev/null); do
			ctr --address "$CTD_SOCK" -n "$ns" task kill -a -s KILL "$id" >/dev/null 2>&1 || true
		done
		for id in $(ctr --address "$CTD_SOCK" -n "$ns" task ls -q 2>/dev/null); do
			wait_task_status "$id" STOPPED "$ns" >/dev/null 2>&1 || true
			ctr --address "$CTD_SOCK" -n "$ns" task delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(ctr --address "$CTD_SOCK" -n "$ns" container ls -q 2>/dev/null); do
			ctr --address "$CTD_SOCK" -n "$ns" container delete "$id" >/dev/null 2>&1 || true
		done
	done
}

# Wait (bounded, ~10 s) for no process of ours to remain; print the strays.
wait_no_strays() {
	local i s
	for i in $(seq 1 200); do
		s=$(shim_stray_pids)
		[ -z "$s" ] && return 0
		sleep 0.05
	done
	echo "$s"
	return 1
}

ps_of() {
	local p
	for p in "$@"; do
		echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) cwd=$(readlink "/proc/$p/cwd" 2>/dev/null)"
	done
}

# Per test: everything the test started must be gone once its containers are
# deleted (no shim, no container process, no mount under $CTD_DIR).
shim_teardown() {
	[ -n "${CTD_DIR:-}" ] || return 0
	record_sockets
	shim_cleanup_tasks
	local strays mounts
	strays=$(wait_no_strays) || true
	mounts=$(shim_mounts)
	if [ -n "$strays" ] || [ -n "$mounts" ]; then
		{
			echo "# leaked after the test:"
			[ -z "$strays" ] || ps_of $strays
			[ -z "$mounts" ] || echo "  mounts: $mounts"
			echo "# containerd log tail:"
			tail -15 "$CTD_DIR/containerd.log"
		} >&2
		local p
		for p in $strays; do kill -KILL "$p" 2>/dev/null || true; done
		return 1
	fi
}

shim_teardown_file() {
	[ -n "${CTD_DIR:-}" ] || return 0
	record_sockets
	shim_cleanup_tasks
	local strays mounts socks p m rc=0
	socks=$(sort -u "$CTD_DIR/sockets.list" 2>/dev/null)
	ctd_stop
	cni_teardown
	strays=$(wait_no_strays) || true
	if [ -n "$strays" ]; then
		echo "# leaked processes:" >&2
		ps_of $strays >&2
		for p in $strays; do kill -KILL "$p" 2>/dev/null || true; done
		rc=1
	fi
	mounts=$(shim_mounts)
	if [ -n "$mounts" ]; then
		echo "# leaked mounts: $mounts" >&2
		for m in $(echo "$mounts" | sort -r); do umount -l "$m" 2>/dev/null || true; done
		rc=1
	fi
	# Our shims are all gone by now: their socket files must go too.
	local left=
	for p in $socks; do
		[ -e "$p" ] && left="$left $p"
		rm -f "$p"
	done
	[ -z "$left" ] || echo "# removed stale shim sockets:$left" >&2
	# runc's shim leaves the empty per-namespace cgroups it created on this
	# v1/v2 hybrid host (cgroupsPath /NS/ID): remove them if empty.
	if [ "$RUNTIME" = io.containerd.runc.v2 ]; then
		rmdir /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/*/k8s.io 2>/dev/null || true
		rmdir "/run/containerd/runc/$NS" /run/containerd/runc/k8s.io 2>/dev/null || true
	fi
	rmdir /sys/fs/cgroup/unified/"$NS" 2>/dev/null || true
	# A SAN build (make SAN=1): GCC's UBSan reports go to stderr, here the
	# shims' log inside containerd's, not to the report files run.sh checks.
	if [ -n "${AL_SAN_LOG_DIR:-}" ] && grep -q 'runtime error:' "$CTD_DIR/containerd.log"; then
		echo "# UBSan reports in the shims' log:" >&2
		grep 'runtime error:' "$CTD_DIR/containerd.log" | head -5 >&2
		rc=1
	fi
	if [ "${KEEP_CTD_DIR:-}" = 1 ] || { [ "$rc" -ne 0 ] && [ -n "${KEEP_ON_LEAK:-}" ]; }; then
		echo "# kept $CTD_DIR" >&2
	else
		rm -rf "$CTD_DIR"
	fi
	return "$rc"
}

setup_file() { shim_setup_file; }
teardown_file() { shim_teardown_file; }
setup() {
	# Unique per test, lower case (CRI and containerd ids).
	CID=t${CTD_DIR##*.}-$BATS_TEST_NUMBER
	CID=$(echo "$CID" | tr 'A-Z' 'a-z')
}
teardown() { shim_teardown; }

# ---- clients --------------------------------------------------------------

# ctr against our containerd, namespace $NS (override with C_NS=...).
c() {
	ctr --address "$CTD_SOCK" -n "${C_NS:-$NS}" "$@"
}

# Our CRI client against our containerd.
cri() {
	"$PYTHON" "$BATS_TEST_DIRNAME/cri_client.py" --endpoint "unix://$CTD_SOCK" "$@"
}

# Our raw ttrpc client.
ttrpc() {
	"$PYTHON" "$BATS_TEST_DIRNAME/ttrpc_client.py" "$@"
}

# Run a background container: run_detached ID CMD...
run_detached() {
	local id=$1
	shift
	c run -d --runtime "$RUNTIME" --cpu-shares 0 "$IMAGE" "$id" "$@" </dev/null >/dev/null
}

# STATUS column of `ctr task ls` for id (empty when absent).
task_status() {
	ctr --address "$CTD_SOCK" -n "${2:-${C_NS:-$NS}}" task ls 2>/dev/null \
		| awk -v id="$1" '$1 == id { print $3 }'
}

task_pid() {
	ctr --address "$CTD_SOCK" -n "${2:-${C_NS:-$NS}}" task ls 2>/dev/null \
		| awk -v id="$1" '$1 == id { print $2 }'
}

# Wait (bounded, ~10 s) for a task status (STOPPED, RUNNING, PAUSED, or
# "" for gone).
wait_task_status() {
	local id=$1 want=$2 ns=${3:-${C_NS:-$NS}} end=$((SECONDS + 15)) s
	while :; do
		s=$(task_status "$id" "$ns")
		[ "$s" = "$want" ] && return 0
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.05
	done
	fail "task $id: status <$s>, wanted <$want>"
}

# Wait (bounded, ~15 s) for a CRI container state (CONTAINER_RUNNING, ...);
# needs the test file's `cri` client wrapper.
wait_ctr_state() {
	local end=$((SECONDS + 15)) s
	while :; do
		s=$(cri inspect "$1" | jq -r '.status.state // "CONTAINER_CREATED"')
		[ "$s" = "$2" ] && return 0
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.05
	done
	fail "container $1: state $s, wanted $2"
}

# The bundle directory containerd made for a task.
bundle_of() {
	echo "$CTD_DIR/state/io.containerd.runtime.v2.task/${2:-${C_NS:-$NS}}/$1"
}

# The shim socket path of a task (from the bundle's `address` file).
shim_address() {
	local a
	a=$(cat "$(bundle_of "$@")/address") || return 1
	record_sockets
	echo "$a"
}

# Remember the shim sockets of the live bundles (teardown_file removes the
# files that outlive their shims, e.g. after kill -9).
record_sockets() {
	shim_sockets >>"$CTD_DIR/sockets.list" 2>/dev/null || true
}

# The shim serving a task: the parent of its init (the shim is the init's
# reaper), checked to be ours: cwd in one of our bundles (runc's shim) or our
# containerd socket as an argument (any shim started by our containerd).
shim_pid_of() {
	local pid ppid cwd
	record_sockets
	pid=$(task_pid "$@")
	[ -n "$pid" ] && [ "$pid" != 0 ] || { fail "no pid for task $1"; return 1; }
	ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
	cwd=$(readlink "/proc/$ppid/cwd")
	case $cwd in
	"$CTD_DIR"/state/*)
		echo "$ppid"
		return 0
		;;
	esac
	if grep -qaP -- "\\x00\\Q$CTD_SOCK\\E\\x00" "/proc/$ppid/cmdline"; then
		echo "$ppid"
		return 0
	fi
	fail "parent $ppid of task $1 (pid $pid) is not a shim of ours: $(ps_of "$ppid")"
}

# ---- assertions (bats `run` sets $status and $output) ---------------------

assert_success() {
	[ "$status" -eq 0 ] || fail "expected success, got status $status; output: $output"
}

assert_failure() {
	[ "$status" -ne 0 ] || fail "expected failure, got status 0; output: $output"
}

assert_status() {
	[ "$status" -eq "$1" ] || fail "expected status $1, got $status; output: $output"
}

assert_output() {
	[ "$output" = "$1" ] || fail "expected output <<$1>>, got <<$output>>"
}

assert_output_contains() {
	case "$output" in
	*"$1"*) ;;
	*) fail "expected output to contain <<$1>>, got <<$output>>" ;;
	esac
}

# until SECS CMD...: retry CMD (quietly) until it succeeds, for at most SECS
# seconds; on timeout run it once more with its output shown and fail.
until_ok() {
	local end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	"$@" || fail "timed out: $*"
}

# Run a command with a hard time bound (seconds), as bats' run does.
run_bounded() {
	local t=$1
	shift
	run timeout -k 2 "$t" "$@"
}
