#!/bin/bash
# sandbox.sh: the cost of airlock's untrusted profile, measured side by side
# with hyperfine.
#
#   hack/bench/sandbox.sh [--runs N] [--warmup N]
#
# 1. Spawn-to-exit of /bin/true: `airlock run` of a bundle selected by
#    `airlock.profile=untrusted` (the profile applied, the seccomp notify
#    listener and the monitor running, the verdict written) against `crun run`
#    of an equivalent config: the same user and network namespaces, read-only
#    root, no capabilities, no_new_privs, and the profile's allow-list as an
#    ordinary seccomp filter. Target: airlock <= 0.8x crun.
# 2. The listener's cost on an allowed, syscall-heavy workload (dd of 1-byte
#    blocks: ~400k read/write calls): the profiled run against airlock running
#    the equivalent config without a profile (same filter, no listener, no
#    monitor). Target: within 2%.
# AIRLOCK_BASE=/old/build/airlock adds that build's profiled run to the same
# hyperfine run (its profiles from AIRLOCK_BASE_PROFILES, by default the
# specs/profiles of its tree) and prints new/old ratios: a regression check.
# Every command runs inside the same wrapper: a private mount namespace with
# cgroup2 over /sys/fs/cgroup (crun refuses this hybrid host otherwise).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=30
warmup=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "sandbox.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "sandbox.sh: needs root" >&2; exit 1; }
airlock=${AIRLOCK:-$top/build/airlock}
crun=$(command -v "${CRUN:-crun}" || true)
export AIRLOCK_PROFILES_DIR=$top/specs/profiles
# A profile without a memory controller is refused unless the caller opts in
# (a hybrid host like the development one): the bench measures the run anyway.
export AIRLOCK_MISSING_CONTROLLERS=${AIRLOCK_MISSING_CONTROLLERS-warn}
work=$(mktemp -d /tmp/airlock-bench-sandbox.XXXXXX)
chmod 0711 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

cat > "$work/wrap.sh" <<'EOS'
#!/bin/sh
# wrap.sh BUNDLE RUNTIME [GLOBAL OPTS...]: `run` the bundle with a unique id
exec unshare --mount --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup &&
  b=$1; shift; exec "$@" run --bundle "$b" "bench-$$" >/dev/null 2>&1' sh "$@"
EOS
chmod +x "$work/wrap.sh"

# One rootfs (root's, readable by all: each profiled container gets host ids
# of its own from the profile's id pool), shared by the bundles.
AIRLOCK=$airlock "$top/hack/mkbundle.sh" "$work/base" true >/dev/null

prof=$top/specs/profiles/untrusted.json
mk() { # mk NAME ARGS_JSON PROFILED(yes|no)
  local b=$work/$1
  mkdir -p "$b"
  ln -s "$work/base/rootfs" "$b/rootfs"
  if [ "$3" = yes ]; then
    jq --argjson a "$2" '.process.terminal = false | .process.args = $a | .ociVersion = "1.0.2"
      | .annotations = {"airlock.profile": "untrusted"} | del(.linux.resources)' \
      "$work/base/config.json" > "$b/config.json"
  else
    jq --argjson a "$2" --slurpfile p "$prof" '
      .process.terminal = false | .process.args = $a
      | .ociVersion = "1.0.2"
      | .process.capabilities = {} | .process.noNewPrivileges = true
      | .root.readonly = true | del(.linux.resources)
      | .linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"},
                             {type: "mount"}, {type: "cgroup"}, {type: "user"}]
      | ($p[0].user.pool | [{containerID: 0, hostID: (.hostStart + .size * (.slots - 1)), size: .size}]) as $m
      | .linux.uidMappings = $m | .linux.gidMappings = $m
      | .mounts |= map(if .destination == "/sys/fs/cgroup" then empty else . end)
      | .linux.seccomp = {
          defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: ($p[0].seccomp.deniedErrno // 1),
          architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
          syscalls: ([{names: $p[0].seccomp.allow, action: "SCMP_ACT_ALLOW"}]
                     + ($p[0].seccomp.rules | map(del(.comment)
                        | if .action == "deny" then .action = "SCMP_ACT_ERRNO"
                            | .errnoRet = ($p[0].seccomp.deniedErrno // 1) else . end)))}' \
      "$work/base/config.json" > "$b/config.json"
  fi
}
mk true-profiled '["/bin/true"]' yes
mk true-equivalent '["/bin/true"]' no
dd_args='["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=200000"]'
mk dd-profiled "$dd_args" yes
mk dd-plain "$dd_args" no
mkdir -p "$work/state/airlock" "$work/state/crun"

W=$work/wrap.sh
A="$airlock --root $work/state/airlock"
C="$crun --root $work/state/crun --cgroup-manager=disabled"
for b in true-profiled true-equivalent dd-profiled dd-plain; do
  $W "$work/$b" $A >"$work/err" 2>&1 || { echo "sandbox.sh: airlock cannot run $b: $(tail -3 "$work/err")" >&2; exit 1; }
done
have_crun=no
if [ -n "$crun" ] && $W "$work/true-equivalent" $C >/dev/null 2>&1; then have_crun=yes; fi

hf=(-N --runs "$runs" --warmup "$warmup" --export-json "$work/r1.json"
    -n airlock-untrusted "$W $work/true-profiled $A")
[ "$have_crun" = no ] || hf+=(-n crun-equivalent "$W $work/true-equivalent $C")
hf+=(-n wrapper "unshare --mount --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup'")
base=${AIRLOCK_BASE:-}
if [ -n "$base" ]; then
  base_prof=${AIRLOCK_BASE_PROFILES:-$(cd "$(dirname "$base")/.." && pwd)/specs/profiles}
  mkdir -p "$work/state/base"
  B="env AIRLOCK_PROFILES_DIR=$base_prof $W"
  BA="$base --root $work/state/base"
  $B "$work/true-profiled" $BA >"$work/err" 2>&1 || { echo "sandbox.sh: $base cannot run true-profiled: $(tail -3 "$work/err")" >&2; exit 1; }
  hf+=(-n airlock-base-untrusted "$B $work/true-profiled $BA")
fi
hyperfine "${hf[@]}"
hf2=(-N --runs "$runs" --warmup "$warmup" --export-json "$work/r2.json"
     -n listener "$W $work/dd-profiled $A" -n no-listener "$W $work/dd-plain $A")
[ -z "$base" ] || hf2+=(-n base-listener "$B $work/dd-profiled $BA")
hyperfine "${hf2[@]}"

med() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median' "$1"; }
echo
echo "medians (ms):"
jq -r '.results[] | [.command, .median * 1000] | @tsv' "$work/r1.json" "$work/r2.json" |
  awk -F '\t' '{ printf "  %-18s %8.2f\n", $1, $2 }'
if [ "$have_crun" = yes ]; then
  awk -v a="$(med "$work/r1.json" airlock-untrusted)" -v c="$(med "$work/r1.json" crun-equivalent)" \
      -v w="$(med "$work/r1.json" wrapper)" 'BEGIN {
    printf "  spawn-to-exit airlock(untrusted)/crun(equivalent): %.2f (wrapper subtracted: %.2f; target <= 0.80)\n",
      a / c, (a - w) / (c - w) }'
else
  echo "  crun could not run the equivalent config here: spawn-to-exit ratio not measured"
fi
awk -v l="$(med "$work/r2.json" listener)" -v n="$(med "$work/r2.json" no-listener)" 'BEGIN {
  printf "  syscall-heavy workload, listener/no listener: %.3f (target <= 1.02)\n", l / n }'
if [ -n "$base" ]; then
  awk -v a="$(med "$work/r1.json" airlock-untrusted)" -v b="$(med "$work/r1.json" airlock-base-untrusted)" \
      -v l="$(med "$work/r2.json" listener)" -v bl="$(med "$work/r2.json" base-listener)" 'BEGIN {
    printf "  against AIRLOCK_BASE: spawn-to-exit %.3f, syscall-heavy %.3f (1.00 = no change)\n", a / b, l / bl }'
fi
