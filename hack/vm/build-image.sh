#!/usr/bin/env bash
# hack/vm/build-image.sh: build (once, cached) the throw-away test VM image:
# a minimal Debian 12 guest with systemd as PID 1, Debian's kernel, a tiny
# busybox initramfs and a harness unit that runs one command (see run.sh).
#
# Prints the image directory on stdout (log on stderr). The directory holds
#   rootfs.img  sparse raw ext4 image (booted with snapshot=on)
#   vmlinux     the decompressed kernel, booted through qemu's PVH entry
#   initrd.img  busybox initramfs: insmods virtio/ext4, switch_roots to systemd
#   versions    the guest's package versions
# Cache: ${AIRLOCK_VM_CACHE:-/var/tmp/airlock-vm}/img-KEY, KEY from this
# script's hash and the host's runtime library versions (the airlock binary is
# built on the host and run in the guest). Built in a temp dir and renamed, so
# an interrupted build never leaves a broken image; old images are removed.
set -euo pipefail

MIRROR=${AIRLOCK_VM_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${AIRLOCK_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
CACHE=${AIRLOCK_VM_CACHE:-/var/tmp/airlock-vm}
# Libraries the host-built airlock links against: the guest must match them.
HOST_LIBS=(libc6 libyajl2 libseccomp2 libcap2 libsystemd0)
GUEST_PKGS=systemd,systemd-sysv,dbus,udev,kmod,procps,iproute2,util-linux,busybox-static,bats,jq,python3,crun,libyajl2,libseccomp2,libcap2,libsystemd0,libcmocka0,libprotobuf-c1
MACHINE_ID=a1a0c4e57e5700000000000000000001

log() { echo "build-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

# ---- host tools --------------------------------------------------------------
need_tools() {
	local -A tool_pkg=(
		[debootstrap]=debootstrap [qemu-system-x86_64]=qemu-system-x86
		[mkfs.ext4]=e2fsprogs [xz]=xz-utils [flock]=util-linux
		[unshare]=util-linux [cpio]=cpio
	)
	local missing=() t
	for t in "${!tool_pkg[@]}"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("${tool_pkg[$t]}")
	done
	[ -x /bin/busybox ] && /bin/busybox --list | grep -qx switch_root || missing+=(busybox-static)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing host tools: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
			|| { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
	fi
}
need_tools

host_versions() {
	dpkg-query -W -f='${Package} ${Version}\n' "${HOST_LIBS[@]}" 2>/dev/null | sort
}
key=$( { sha256sum "$0" | cut -d' ' -f1; host_versions; } | sha256sum | cut -c1-16)
img=$CACHE/img-$key

if [ -f "$img/ok" ]; then
	echo "$img"
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
	log "waiting for another build (lock $CACHE/.lock)"
	flock 9
fi
if [ -f "$img/ok" ]; then # another builder finished meanwhile
	echo "$img"
	exit 0
fi

start=$(date +%s)
tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
chmod 0755 "$tmp"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
root=$tmp/root
mkdir -p "$root"

# ---- root file system (in a private mount namespace: nothing leaks) ------------
cat >"$tmp/chroot-setup.sh" <<'EOS'
#!/bin/bash
# Runs inside `unshare -m`: debootstrap, then updates + kernel in the chroot.
set -euo pipefail
root=$1 mirror=$2 secmirror=$3 suite=$4 pkgs=$5
mount --make-rprivate /
debootstrap --variant=minbase --include="$pkgs" "$suite" "$root" "$mirror" >&2
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $secmirror $suite-security main
EOF
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
in_chroot() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}
# No Debian initramfs (ours is built below): update-initramfs is diverted to
# true, which skips minutes of mkinitramfs on every kernel install/trigger.
in_chroot dpkg-divert --local --quiet --rename --divert /usr/sbin/update-initramfs.real \
	--add /usr/sbin/update-initramfs
ln -sf /bin/true "$root/usr/sbin/update-initramfs"
in_chroot apt-get update -qq >&2
in_chroot apt-get -y -qq -o Dpkg::Options::=--force-confold dist-upgrade >&2
in_chroot apt-get -y -qq --no-install-recommends install linux-image-amd64 >&2
in_chroot apt-get clean
dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Package} ${Version}\n' >"$root/../versions"
rm -f "$root/usr/sbin/policy-rc.d"
umount "$root/dev" "$root/proc"
EOS
log "debootstrap $SUITE from $MIRROR (+updates, security, linux-image-amd64)"
# Bounded: a stuck mirror must not hang CI (a normal build takes 1-5 min).
timeout -k 30 "${AIRLOCK_VM_BUILD_TIMEOUT:-1800}" \
	unshare --mount --propagation private -- bash "$tmp/chroot-setup.sh" \
	"$root" "$MIRROR" "$SECURITY_MIRROR" "$SUITE" "$GUEST_PKGS" \
	|| die "building the root file system failed (status $?)"

# Library versions: the guest must have the host's (or newer, same ABI).
while read -r p v; do
	gv=$(awk -v p="$p" '$1 == p || $1 == p":amd64" { print $2 }' "$tmp/versions")
	[ -n "$gv" ] || die "package $p is missing in the guest"
	if [ "$gv" != "$v" ]; then
		if dpkg --compare-versions "$gv" lt "$v"; then
			die "guest $p $gv is older than the host's $v"
		fi
		log "note: guest $p $gv, host $v"
	fi
done < <(host_versions)

# ---- guest configuration -----------------------------------------------------------
kver=$(ls "$root/lib/modules" | sort -V | tail -n1)
[ -n "$kver" ] || die "no kernel modules in the guest"
log "kernel $kver"

echo "$MACHINE_ID" >"$root/etc/machine-id"
echo airlock-vm >"$root/etc/hostname"
echo "127.0.0.1 localhost airlock-vm" >"$root/etc/hosts"
: >"$root/etc/fstab"
# No password prompt anywhere: root without password (never networked).
sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"

mkdir -p "$root/etc/systemd/journald.conf.d" "$root/etc/systemd/system-generators"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' \
	>"$root/etc/systemd/journald.conf.d/volatile.conf"
# Generators (getty on the serial console, fstab, gpt-auto...) all off.
for g in "$root"/lib/systemd/system-generators/* "$root"/usr/lib/systemd/system-generators/*; do
	[ -e "$g" ] && ln -sf /dev/null "$root/etc/systemd/system-generators/$(basename "$g")"
done
mask() { local u; for u in "$@"; do ln -sf /dev/null "$root/etc/systemd/system/$u"; done; }
# Every timer, udev coldplug, gettys, first-boot and update-on-boot jobs.
for t in "$root"/lib/systemd/system/*.timer; do
	[ -e "$t" ] && mask "$(basename "$t")"
done
mask systemd-udev-trigger.service systemd-udev-settle.service getty.target \
	getty@tty1.service serial-getty@ttyS0.service console-getty.service \
	systemd-firstboot.service ldconfig.service systemd-hwdb-update.service \
	systemd-journal-catalog-update.service systemd-update-done.service \
	systemd-machine-id-commit.service e2scrub_reap.service systemd-pstore.service \
	systemd-random-seed.service systemd-fsck-root.service systemd-timesyncd.service \
	apt-daily.service apt-daily-upgrade.service \
	systemd-binfmt.service proc-sys-fs-binfmt_misc.automount sys-kernel-tracing.mount \
	sys-kernel-debug.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
	kmod-static-nodes.service systemd-modules-load.service modprobe@.service \
	systemd-logind.service systemd-journal-flush.service systemd-update-utmp.service \
	systemd-update-utmp-runlevel.service systemd-tmpfiles-clean.service
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"

# The harness: run the command, report into the control share, power off.
cat >"$root/usr/local/sbin/vm-harness" <<'EOS'
#!/bin/bash
# Mounts the control share (tag airlock-ctl) at /run/vmctl and the work tree
# (tag airlock-work) at the path named in /run/vmctl/workdir, waits for
# systemd to finish booting, runs /run/vmctl/cmd in the work tree with bash and
# writes stdout, stderr and rc into /run/vmctl; then powers off at once.
ctl=/run/vmctl
opts=trans=virtio,version=9p2000.L,msize=524288
modprobe -a 9pnet_virtio 9p
mkdir -p "$ctl"
if ! mount -t 9p -o "$opts" airlock-ctl "$ctl"; then
	echo "vm-harness: cannot mount the control share" >/dev/console
	systemctl poweroff -ff
fi
work=$(cat "$ctl/workdir")
mkdir -p "$work"
if ! mount -t 9p -o "$opts" airlock-work "$work" 2>"$ctl/stderr"; then
	echo 125 >"$ctl/rc"
	systemctl poweroff -ff
fi
systemctl is-system-running --wait >"$ctl/system-state" 2>&1
export HOME=/root LANG=C.UTF-8 TERM=dumb
cd "$work" && bash "$ctl/cmd" >"$ctl/stdout" 2>"$ctl/stderr" </dev/null
echo $? >"$ctl/rc.tmp"
systemctl --no-pager --failed >"$ctl/failed-units" 2>&1
mv "$ctl/rc.tmp" "$ctl/rc"
sync
systemctl poweroff -ff
EOS
chmod 0755 "$root/usr/local/sbin/vm-harness"
cat >"$root/etc/systemd/system/vm-harness.service" <<'EOS'
[Unit]
Description=airlock VM harness: run the command from /run/vmctl/cmd
After=basic.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/vm-harness
StandardOutput=journal
StandardError=journal
EOS
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../vm-harness.service "$root/etc/systemd/system/multi-user.target.wants/vm-harness.service"

# ---- kernel: vmlinux for PVH boot -----------------------------------------------------
vmlinuz=$root/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "no $vmlinuz"
found=
for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1); do
	tail -c +$((off + 1)) "$vmlinuz" >"$tmp/vmlinux.xz"
	if xz -dc --single-stream "$tmp/vmlinux.xz" >"$tmp/vmlinux" 2>/dev/null \
		&& [ "$(head -c4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
		found=1
		break
	fi
done
rm -f "$tmp/vmlinux.xz"
[ -n "$found" ] || die "cannot extract an ELF vmlinux from $vmlinuz"

# ---- initramfs: busybox, virtio + ext4 modules, switch_root -------------------------
ird=$tmp/initrd
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,modules}
mknod -m 0600 "$ird/dev/console" c 5 1
cp /bin/busybox "$ird/bin/busybox"
modlist=$(for m in virtio_pci virtio_blk crc32c_generic ext4; do
	chroot "$root" /sbin/modprobe -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
[ -n "$modlist" ] || die "no modules for the initramfs"
: >"$ird/modules/order"
for m in $modlist; do
	b=$(basename "$m")
	case "$b" in
	*.ko.xz) xz -dc "$root$m" >"$ird/modules/${b%.xz}"; b=${b%.xz} ;;
	*.ko.zst) zstd -qdc "$root$m" >"$ird/modules/${b%.zst}"; b=${b%.zst} ;;
	*) cp "$root$m" "$ird/modules/$b" ;;
	esac
	echo "$b" >>"$ird/modules/order"
done
cat >"$ird/init" <<'EOS'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t proc proc /proc
for m in $(/bin/busybox cat /modules/order); do
	/bin/busybox insmod /modules/$m 2>/dev/null
done
i=0
while ! [ -b /dev/vda ] && [ $i -lt 500 ]; do /bin/busybox usleep 10000; i=$((i + 1)); done
if ! /bin/busybox mount -t ext4 -o rw /dev/vda /newroot; then
	/bin/busybox cat /proc/filesystems >/dev/console
	echo "initramfs: cannot mount /dev/vda" >/dev/console
	/bin/busybox poweroff -f
fi
/bin/busybox umount /proc
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot /sbin/init
EOS
chmod 0755 "$ird/init"
(cd "$ird" && find . | cpio --quiet -o -H newc) >"$tmp/initrd.img"
rm -rf "$ird"

# ---- pack the root file system -----------------------------------------------------
# Drivers a headless VM never loads.
for d in sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband \
	drivers/staging drivers/bluetooth net/wireless net/bluetooth drivers/iio; do
	rm -rf "$root/lib/modules/$kver/kernel/$d"
done
chroot "$root" /sbin/depmod "$kver"
rm -f "$tmp/chroot-setup.sh"
rm -rf "$root"/boot/initrd.img* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
	"$root"/usr/share/locale/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*
used_mb=$(du -sm "$root" | cut -f1)
size_mb=$((used_mb * 13 / 10 + 1024))
truncate -s "${size_mb}M" "$tmp/rootfs.img"
mkfs.ext4 -q -F -L airlock-vm -d "$root" "$tmp/rootfs.img" >&2
rm -rf "$root"

echo "$key" >"$tmp/ok"
rm -rf "$img"
mv -T "$tmp" "$img"
trap - EXIT
for old in "$CACHE"/img-*; do
	[ "$old" = "$img" ] || rm -rf "$old"
done
log "built $img (${used_mb} MB used, $(( $(date +%s) - start )) s)"
echo "$img"
