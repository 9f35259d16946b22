#!/usr/bin/env bash
# demo.sh: the README's first quick-start command. Installs what airlock needs,
# builds it, and runs two sample "uploaded tasks" (specs/tasks/) with
# `airlock sandbox` under the untrusted profile (specs/profiles/untrusted.json):
# a user namespace mapped to an unprivileged range, every namespace new,
# loopback-only network, a read-only busybox image (built from Debian's
# busybox-static) with a small tmpfs /tmp, no capabilities, no_new_privs, a
# default-deny seccomp allow-list whose denials are recorded, pids/memory/CPU
# limits and a deadline. Prints what each task wrote and airlock's verdict.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ -z "${SKIP_DEPS:-}" ]; then hack/deps.sh >/dev/null || exit 1; fi
make -s -j2 build/airlock >/dev/null || exit 1
airlock=$top/build/airlock
export AIRLOCK_PROFILES_DIR=$top/specs/profiles
root=$(mktemp -d /tmp/airlock-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
# Without a memory controller in the host's cgroup2 tree the untrusted
# profile is refused unless the caller opts in; the demo does, and says so.
missing=()
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -z "$cg2" ] || ! grep -qw memory "$cg2/cgroup.controllers" 2>/dev/null; then
  echo "note: this host's cgroup2 tree has no memory controller: running with"
  echo "      --missing-controllers warn (memory bounded by rlimits, sized tmpfs,"
  echo "      IPC sysctls and the monitor's sampling; kernel memory is not bounded)"
  echo
  missing=(--missing-controllers warn)
fi

run_task() {
  local name=$1 timeout=$2
  echo "=== uploaded task: $name (specs/tasks/$name.sh), deadline $timeout"
  "$airlock" --root "$root" sandbox --profile untrusted "${missing[@]}" --timeout "$timeout" \
    --bind "$top/specs/tasks:/work:ro" -- /bin/sh "/work/$name.sh" 2>&1 | sed 's/^/  | /'
  local status=${PIPESTATUS[0]}
  echo "  -> airlock sandbox exit status $status"
  echo
}
run_task well-behaved 10s
run_task misbehaving 3s
