#!/usr/bin/env bash
# demo.sh: the README's first quick-start command. Installs what airlock needs,
# builds it, makes a busybox bundle (hack/mkbundle.sh) and runs two sample
# "uploaded tasks" (specs/tasks/) in a sandbox: a user namespace mapped to an
# unprivileged range, every namespace new, read-only image, a small tmpfs
# /tmp, no capabilities, no_new_privs, a seccomp filter, and limits. Prints
# each task's output and its verdict.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -n "${SKIP_DEPS:-}" ] || hack/deps.sh >/dev/null
make -s -j2 build/airlock >/dev/null
airlock=$top/build/airlock
work=$(mktemp -d /tmp/airlock-demo.XXXXXX)
chmod 0711 "$work"  # the sandbox's root (an unprivileged uid) must reach its rootfs
root=$work/state
cleanup() {
  for id in $("$airlock" --root "$root" list -q 2>/dev/null); do
    "$airlock" --root "$root" delete --force "$id" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

AIRLOCK=$airlock hack/mkbundle.sh "$work/bundle" >/dev/null
mkdir -p "$work/bundle/rootfs/task"
cp specs/tasks/*.sh "$work/bundle/rootfs/task/"
# The image belongs to the sandbox's unprivileged range, not to root.
chown -R 100000:100000 "$work/bundle/rootfs"
jq --slurpfile prof specs/profiles/demo-sandbox.json '
  .process.terminal = false
  | .process.user = {uid: 1000, gid: 1000}
  | .process.capabilities = {}
  | .process.noNewPrivileges = true
  | .process.rlimits = [{type: "RLIMIT_NOFILE", hard: 256, soft: 256},
                        {type: "RLIMIT_NPROC", hard: 64, soft: 64},
                        {type: "RLIMIT_FSIZE", hard: 8388608, soft: 8388608}]
  | .root.readonly = true
  | .hostname = "sandbox"
  | .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
                 options: ["nosuid", "nodev", "noexec", "size=8m", "mode=1777"]}]
  | .linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"},
                         {type: "mount"}, {type: "cgroup"}, {type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.seccomp = $prof[0].seccomp
  | del(.linux.resources)
' "$work/bundle/config.json" > "$work/bundle/config.json.new"
mv "$work/bundle/config.json.new" "$work/bundle/config.json"

run_task() {
  local name=$1 cfg=$work/bundle/config.json
  jq --arg t "/task/$name.sh" '.process.args = ["/bin/sh", $t]' "$cfg" > "$cfg.new" && mv "$cfg.new" "$cfg"
  echo "=== task: $name"
  local start end status=0
  start=$(date +%s%N)
  timeout --foreground 30 "$airlock" --root "$root" run --bundle "$work/bundle" "demo-$name" | sed 's/^/  | /' || status=${PIPESTATUS[0]}
  end=$(date +%s%N)
  local verdict=PASS
  [ "$status" -eq 0 ] || verdict=FAIL
  printf '  verdict: %s (exit status %d, wall time %d ms)\n' "$verdict" "$status" $(( (end - start) / 1000000 ))
}
run_task well-behaved
run_task misbehaving
