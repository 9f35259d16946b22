# vm_helpers.bash: integration/helpers.bash for the tests under integration/vm/,
# which run inside the test VM (hack/vm/run.sh: systemd PID 1, pure cgroup v2).
#   load vm_helpers
# Paths are fixed up for the subdirectory; CG_ROOT is the cgroup2 mount.

AIRLOCK=${AIRLOCK:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/airlock}
load ../helpers
MKBUNDLE=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/hack/mkbundle.sh
CG_ROOT=/sys/fs/cgroup

# Skip unless this is the VM's setup: systemd as PID 1 on pure cgroup v2.
require_vm() {
	[ "$(stat -f -c %T "$CG_ROOT" 2>/dev/null)" = cgroup2fs ] \
		|| skip "needs a pure cgroup v2 host (run through hack/vm/run.sh)"
	[ "$(cat /proc/1/comm)" = systemd ] || skip "needs systemd as PID 1"
}

# True when the runtime has the subcommand (`airlock CMD --help` works).
has_command() {
	"$AIRLOCK" "$1" --help >/dev/null 2>&1
}

# The value of key $2 in a flat-keyed cgroup file $1 (memory.events...).
cg_key() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}
