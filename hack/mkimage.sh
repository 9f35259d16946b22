#!/bin/bash
# mkimage.sh busybox|pause NAME OUT.tar: build an OCI image layout tar offline,
# ready for `ctr -n NS image import OUT.tar`.
#   busybox  one layer: a busybox-static rootfs (applets as hardlinks, no
#            symlinks at all), Cmd ["sh"].
#   busybox-user, busybox-uid
#            busybox with a user `app` (uid 1234, gid 1234, also in group
#            `extra`, gid 2345) in /etc/passwd and /etc/group, and the
#            image config's User "app" (busybox-user) or "4321:2345"
#            (busybox-uid, a uid that /etc/passwd does not know).
#   pause    one layer: /pause, a tiny static program of ours that sleeps
#            until SIGTERM or SIGINT (then exits 0) and reaps children; built
#            with `cc -static` when a C compiler and libc.a exist, else a
#            busybox shell script doing the same.
# NAME is the full reference stored as the `io.containerd.image.name`
# annotation, e.g. localhost/airlock/busybox:test. Layers are uncompressed
# tars, so a layer's digest is also its diff_id. Output is deterministic for
# the same inputs (sorted entries, mtime 0, uid/gid 0).
set -euo pipefail

usage() { echo "usage: $0 busybox|pause NAME OUT.tar" >&2; exit 2; }
[ $# -eq 3 ] || usage
kind=$1 name=$2 out=$3
case $kind in busybox|busybox-user|busybox-uid|pause) ;; *) usage ;; esac

busybox=/bin/busybox
if ! [ -x "$busybox" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
layout=$tmp/layout
mkdir -p "$root" "$layout/blobs/sha256"

build_busybox_rootfs() {
	mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,root,var,run,mnt}
	chmod 1777 "$root/tmp"
	chmod 0700 "$root/root"
	cp "$busybox" "$root/bin/busybox"
	local applet
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln "$root/bin/busybox" "$root/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$root/etc/group"
	echo "127.0.0.1 localhost" >"$root/etc/hosts"
	: >"$root/etc/resolv.conf"
}

# pause: PID 1 of a pod sandbox. Exits 0 on SIGTERM/SIGINT, reaps any child
# re-parented to it, otherwise sleeps in pause(2).
pause_source() {
	cat <<-'EOF'
	#include <signal.h>
	#include <string.h>
	#include <sys/wait.h>
	#include <unistd.h>

	static void on_exit_signal (int sig) { (void) sig; _exit (0); }

	static void
	on_child (int sig)
	{
	  (void) sig;
	  while (waitpid (-1, NULL, WNOHANG) > 0)
	    ;
	}

	int
	main (void)
	{
	  struct sigaction sa;
	  memset (&sa, 0, sizeof sa);
	  sa.sa_handler = on_exit_signal;
	  sigaction (SIGTERM, &sa, NULL);
	  sigaction (SIGINT, &sa, NULL);
	  sa.sa_handler = on_child;
	  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	  sigaction (SIGCHLD, &sa, NULL);
	  for (;;)
	    pause ();
	}
	EOF
}

build_pause_rootfs() {
	mkdir -p "$root"/{dev,proc,sys,etc}
	if command -v cc >/dev/null 2>&1 \
		&& pause_source | cc -x c -static -Os -s -o "$root/pause" - 2>/dev/null; then
		:
	else
		mkdir -p "$root/bin"
		cp "$busybox" "$root/bin/busybox"
		ln "$root/bin/busybox" "$root/bin/sh"
		ln "$root/bin/busybox" "$root/bin/sleep"
		cat >"$root/pause" <<-'EOF'
		#!/bin/sh
		trap 'exit 0' TERM INT
		while :; do sleep 2147483647 & wait $!; done
		EOF
		chmod 0755 "$root/pause"
	fi
}

# blob FILE MEDIATYPE: store FILE as a blob; prints a descriptor's JSON.
blob() {
	local file=$1 mt=$2 hex size
	hex=$(sha256sum "$file" | cut -d' ' -f1)
	size=$(stat -c %s "$file")
	cp "$file" "$layout/blobs/sha256/$hex"
	jq -cn --arg mt "$mt" --arg d "sha256:$hex" --argjson s "$size" \
		'{mediaType: $mt, digest: $d, size: $s}'
}

case $kind in
busybox)
	build_busybox_rootfs
	entry='{"Cmd": ["sh"]}'
	;;
busybox-user|busybox-uid)
	build_busybox_rootfs
	mkdir -p "$root/home/app"
	echo 'app:x:1234:1234:app:/home/app:/bin/sh' >>"$root/etc/passwd"
	printf 'app:x:1234:\nextra:x:2345:app\n' >>"$root/etc/group"
	if [ "$kind" = busybox-user ]; then
		entry='{"Cmd": ["sh"], "User": "app"}'
	else
		entry='{"Cmd": ["sh"], "User": "4321:2345"}'
	fi
	;;
pause)
	build_pause_rootfs
	entry='{"Entrypoint": ["/pause"]}'
	;;
esac

tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 \
	--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$root" -cf "$tmp/layer.tar" .
layer=$(blob "$tmp/layer.tar" application/vnd.oci.image.layer.v1.tar)
diff_id=$(jq -r .digest <<<"$layer")

jq -cn --argjson entry "$entry" --arg diff "$diff_id" '{
	created: "1970-01-01T00:00:00Z",
	architecture: "amd64",
	os: "linux",
	config: ({Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		WorkingDir: "/"} + $entry),
	rootfs: {type: "layers", diff_ids: [$diff]},
	history: [{created: "1970-01-01T00:00:00Z", created_by: "hack/mkimage.sh"}]
}' >"$tmp/config.json"
config=$(blob "$tmp/config.json" application/vnd.oci.image.config.v1+json)

jq -cn --argjson c "$config" --argjson l "$layer" '{
	schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: $c,
	layers: [$l]
}' >"$tmp/manifest.json"
manifest=$(blob "$tmp/manifest.json" application/vnd.oci.image.manifest.v1+json)

tag=${name##*:}
[ "$tag" != "$name" ] && [[ $tag != */* ]] || tag=latest
jq -n --argjson m "$manifest" --arg name "$name" --arg tag "$tag" '{
	schemaVersion: 2,
	mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [$m + {
		platform: {architecture: "amd64", os: "linux"},
		annotations: {"io.containerd.image.name": $name,
			"org.opencontainers.image.ref.name": $tag}
	}]
}' >"$layout/index.json"
echo '{"imageLayoutVersion": "1.0.0"}' >"$layout/oci-layout"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 \
	-C "$layout" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
echo "$out"
