#!/bin/sh
# A misbehaving "uploaded task": it does its job, then pokes at the sandbox.
# Every attempt below must fail inside airlock's sandbox, and airlock's verdict
# names the system calls the profile denied.
echo "handler: 9 words"
try() { desc=$1; shift; if "$@" >/dev/null 2>&1; then echo "ESCAPED: $desc"; else echo "blocked: $desc"; fi; }
try "write into the image (/bin/evil)"        sh -c 'echo x > /bin/evil'
try "mount the host's disk"                    mount -t ext4 /dev/vda /mnt
try "read the host's /etc/shadow"              cat /proc/1/root/etc/shadow
try "load a kernel module"                     insmod /nope.ko
try "change the hostname"                      hostname pwned
try "reach the network (1.1.1.1:80)"           nc -w 1 1.1.1.1 80
try "create a device node"                     mknod /tmp/sda b 8 0
try "fork bomb (200 sleepers)"                 sh -c 'i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done; wait'
echo "now spinning until the deadline..."
while :; do :; done
