#!/bin/sh
# A misbehaving "uploaded task": it does its job, then pokes at the sandbox.
# Every attempt below must fail inside airlock's sandbox.
echo "handler: 9 words"
try() { desc=$1; shift; if "$@" >/dev/null 2>&1; then echo "ESCAPED: $desc"; else echo "blocked: $desc"; fi; }
try "write into the image (/bin/evil)"        sh -c 'echo x > /bin/evil'
try "mount the host's disk"                    mount -t ext4 /dev/vda /mnt
try "mount a fresh proc"                       mount -t proc proc /mnt
try "read kernel memory (/proc/kcore)"         sh -c 'test -s /proc/kcore && head -c1 /proc/kcore'
try "load a kernel module"                     insmod /nope.ko
try "change the hostname"                      hostname pwned
try "reach the network (1.1.1.1:80)"           nc -w 1 1.1.1.1 80
try "create a device node"                     mknod /tmp/sda b 8 0
try "become another user's files (chown)"      chown 1:1 /tmp
exit 3
