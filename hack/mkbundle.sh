#!/bin/bash
# mkbundle.sh DIR [ARGS...]: build an OCI bundle at DIR: a busybox rootfs in
# DIR/rootfs and DIR/config.json with terminal false and process.args ARGS
# (default: sh). config.json comes from `$AIRLOCK spec` when $AIRLOCK is set
# and works, else from a built-in default. The rootfs template is cached in
# ${AIRLOCK_CACHE:-/var/tmp/airlock-cache} and copied (never hardlinked: a
# container must not be able to change the cache).
set -euo pipefail

usage() { echo "usage: $0 DIR [ARGS...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
dir=$1
shift
[ $# -ge 1 ] || set -- sh

busybox=/bin/busybox
if ! [ -x "$busybox" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >&2
fi

cache=${AIRLOCK_CACHE:-/var/tmp/airlock-cache}
# Keyed by the busybox binary, so an upgrade builds a new template.
key=$(sha256sum "$busybox" | cut -c1-16)
template=$cache/rootfs-$key

build_template() {
	mkdir -p "$cache"
	local tmp
	tmp=$(mktemp -d "$cache/.build.XXXXXX")
	local r=$tmp/rootfs
	mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,root,var,run,mnt}
	chmod 1777 "$r/tmp"
	chmod 0700 "$r/root"
	cp "$busybox" "$r/bin/busybox"
	local applet
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln "$r/bin/busybox" "$r/bin/$applet"
	done
	cat >"$r/etc/passwd" <<-EOF
		root:x:0:0:root:/root:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$r/etc/group" <<-EOF
		root:x:0:
		tty:x:5:
		nogroup:x:65534:
	EOF
	echo "127.0.0.1 localhost" >"$r/etc/hosts"
	: >"$r/etc/resolv.conf"
	# Publish atomically; a concurrent builder may have won the race.
	if ! mv -T "$r" "$template" 2>/dev/null; then
		rm -rf "$r"
	fi
	rm -rf "$tmp"
}

[ -d "$template" ] || build_template

mkdir -p "$dir"
rm -rf "$dir/rootfs"
cp -a "$template" "$dir/rootfs"

default_config() {
	cat <<-'EOF'
	{
	  "ociVersion": "1.0.2",
	  "process": {
	    "terminal": false,
	    "user": { "uid": 0, "gid": 0 },
	    "args": [ "sh" ],
	    "env": [
	      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	      "TERM=xterm"
	    ],
	    "cwd": "/",
	    "capabilities": {
	      "bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
	      "effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
	      "permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
	      "ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
	    },
	    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
	    "noNewPrivileges": true
	  },
	  "root": { "path": "rootfs", "readonly": true },
	  "hostname": "airlock",
	  "mounts": [
	    { "destination": "/proc", "type": "proc", "source": "proc" },
	    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
	      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
	    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
	      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
	    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
	      "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
	    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
	      "options": [ "nosuid", "noexec", "nodev" ] },
	    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
	      "options": [ "nosuid", "noexec", "nodev", "ro" ] },
	    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
	      "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
	  ],
	  "linux": {
	    "resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
	    "namespaces": [
	      { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
	      { "type": "uts" }, { "type": "mount" }
	    ],
	    "maskedPaths": [
	      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	      "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
	    ],
	    "readonlyPaths": [
	      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
	    ]
	  }
	}
	EOF
}

config=$dir/config.json
rm -f "$config"
if [ -n "${AIRLOCK:-}" ] && [ -x "$AIRLOCK" ] \
	&& (cd "$dir" && "$AIRLOCK" spec) >/dev/null 2>&1 \
	&& jq -e .process "$config" >/dev/null 2>&1; then
	:
else
	default_config >"$config"
fi

args=$(jq -cn '$ARGS.positional' --args -- "$@")
jq --argjson args "$args" '.process.terminal = false | .process.args = $args' "$config" >"$config.tmp"
mv "$config.tmp" "$config"
