#!/bin/bash
# lifecycle.sh: time `run` of /bin/true (create, start, wait, delete) with
# airlock, crun and runc side by side, using hyperfine.
#
#   hack/bench/lifecycle.sh [--runs N] [--warmup N] [--keep-json FILE]
#
# Environment: AIRLOCK (default build/airlock), CRUN (crun), RUNC (runc).
# A runtime that is missing, or fails a first trial run, is left out (said so).
#
# All three runtimes use the same bundle: a busybox rootfs and the `runc spec`
# config with terminal false and args ["/bin/true"]. Each runs inside the same
# wrapper, a private mount namespace with cgroup2 mounted over /sys/fs/cgroup
# (crun refuses hybrid cgroup hosts otherwise), so the wrapper costs the same
# for all; its own cost is shown as the "wrapper" row. crun runs with
# --cgroup-manager=disabled (with cgroupfs it fails on RLIMIT_MEMLOCK here), so
# it creates no cgroup: keep that in mind when comparing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

runs=50
warmup=3
keep_json=
usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --warmup) warmup=${2:?--warmup needs a number}; shift 2 ;;
    --warmup=*) warmup=${1#*=}; shift ;;
    --keep-json) keep_json=${2:?--keep-json needs a file}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "lifecycle.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$runs$warmup" in *[!0-9]*) echo "lifecycle.sh: --runs and --warmup take numbers" >&2; exit 2 ;; esac

[ "$(id -u)" = 0 ] || { echo "lifecycle.sh: needs root" >&2; exit 1; }
for tool in hyperfine jq unshare; do
  command -v "$tool" >/dev/null || { echo "lifecycle.sh: $tool not found" >&2; exit 1; }
done

airlock=${AIRLOCK:-$top/build/airlock}
case "$airlock" in /*) ;; */*) airlock=$top/$airlock ;; esac
crun=$(command -v "${CRUN:-crun}" || true)
runc=$(command -v "${RUNC:-runc}" || true)

work=$(mktemp -d /tmp/airlock-bench.XXXXXX)
bundle=$work/bundle
state=$work/state

# Runtime name -> global options (state root, cgroup manager).
declare -A gopts
gopts[airlock]="--root $state/airlock"
gopts[crun]="--root $state/crun --cgroup-manager=disabled"
gopts[runc]="--root $state/runc"
declare -A bin
bin[airlock]=$airlock
bin[crun]=$crun
bin[runc]=$runc

cleanup() {
  local rc=$?
  set +e
  for rt in airlock crun runc; do
    local b=${bin[$rt]} root=$state/$rt
    if [ -z "$b" ] || [ ! -x "$b" ] || [ ! -d "$root" ]; then continue; fi
    for id in $("$b" --root "$root" list -q 2>/dev/null); do
      "$b" --root "$root" delete -f "$id" >/dev/null 2>&1 ||
        echo "lifecycle.sh: could not delete $rt container $id" >&2
    done
  done
  # Cgroups left behind by an interrupted run (v2 tree only; never v1).
  for cg in /sys/fs/cgroup/unified/bench-* /sys/fs/cgroup/unified/airlock/bench-*; do
    [ -d "$cg" ] && rmdir "$cg" 2>/dev/null
  done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the bundle -------------------------------------------------------------
make_rootfs() {
  local rootfs=$1 bb
  bb=$(command -v busybox || true)
  [ -n "$bb" ] || { echo "lifecycle.sh: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
  file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
    echo "lifecycle.sh: warning: $bb is not static; /bin/true may not run in the rootfs" >&2
  mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp,etc}
  cp "$bb" "$rootfs/bin/busybox"
  ln "$rootfs/bin/busybox" "$rootfs/bin/true"
  ln "$rootfs/bin/busybox" "$rootfs/bin/sh"
}

mkdir -p "$bundle" "$state"/{airlock,crun,runc}
if [ -x "$top/hack/mkbundle.sh" ] && "$top/hack/mkbundle.sh" "$bundle" true >/dev/null 2>&1 &&
   [ -x "$bundle/rootfs/bin/true" ]; then
  echo "bundle: hack/mkbundle.sh"
else
  rm -rf "$bundle" && mkdir -p "$bundle"
  make_rootfs "$bundle/rootfs"
  echo "bundle: busybox rootfs built inline"
fi

# The config: `runc spec` output (or a minimal equivalent when runc is absent),
# terminal false, args ["/bin/true"]. The same file for every runtime.
rm -f "$bundle/config.json"
if [ -n "$runc" ]; then
  "$runc" spec --bundle "$bundle"
elif [ -n "$crun" ]; then
  (cd "$bundle" && "$crun" spec)
else
  echo "lifecycle.sh: need runc or crun for the reference config" >&2; exit 1
fi
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

# ---- the wrapper ------------------------------------------------------------
# wrap.sh BUNDLE RUNTIME [GLOBAL OPTIONS...]: in a private mount namespace
# (--propagation private: nothing leaks back to the host) with cgroup2 over
# /sys/fs/cgroup, exec `RUNTIME OPTIONS run --bundle BUNDLE ID`,
# ID unique per invocation (the pid of the inner shell).
cat > "$work/wrap.sh" <<'EOF'
#!/bin/sh
export B="$1"; shift
exec unshare --mount --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup &&
  exec "$@" run --bundle "$B" "bench-$$"' sh "$@"
EOF
chmod +x "$work/wrap.sh"

# ---- which runtimes ------------------------------------------------------------
names=()
cmds=()
skipped=()
try_runtime() {
  local rt=$1 b=${bin[$1]}
  if [ -z "$b" ] || [ ! -x "$b" ]; then
    skipped+=("$rt (not found${b:+: $b})")
    return
  fi
  local cmd="$work/wrap.sh $bundle $b ${gopts[$rt]}"
  local out rc=0
  out=$($cmd 2>&1) || rc=$?
  if [ "$rc" != 0 ]; then
    skipped+=("$rt (trial run failed, exit status $rc${out:+: $(echo "$out" | tail -n 3 | tr '\n' ' ')})")
    return
  fi
  names+=("$rt")
  cmds+=("$cmd")
}
for rt in airlock crun runc; do try_runtime "$rt"; done
if [ "${#names[@]}" = 0 ]; then
  echo "lifecycle.sh: no runtime could run the bundle:" >&2
  printf '  %s\n' "${skipped[@]}" >&2
  exit 1
fi
for s in "${skipped[@]+"${skipped[@]}"}"; do echo "skipped: $s"; done

# The wrapper alone (/bin/true ignores the `run ...` arguments).
names+=(wrapper)
cmds+=("$work/wrap.sh $bundle /bin/true")

# ---- run -------------------------------------------------------------------------
hf_args=(-N --runs "$runs" --warmup "$warmup" --export-json "$work/results.json")
for i in "${!names[@]}"; do
  hf_args+=(-n "${names[$i]}" "${cmds[$i]}")
done
hyperfine "${hf_args[@]}"
[ -z "$keep_json" ] || cp "$work/results.json" "$keep_json"

# ---- summary: medians and ratios ----------------------------------------------------
echo
echo "ms, $runs runs (each runtime's time includes the wrapper's):"
printf '  %-8s %8s  %8s  %8s\n' "" median mean min
jq -r '.results[] | [.command, .median * 1000, .mean * 1000, .min * 1000] | @tsv' "$work/results.json" |
  awk -F '\t' '{ printf "  %-8s %8.2f  %8.2f  %8.2f\n", $1, $2, $3, $4 }'

median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$work/results.json"; }
ratio() {
  local a b w
  a=$(median "$1"); b=$(median "$2"); w=$(median wrapper)
  [ -n "$a" ] && [ -n "$b" ] || return 0
  awk -v a="$a" -v b="$b" -v w="$w" -v an="$1" -v bn="$2" 'BEGIN {
    printf "  %s/%s: %.2f   (wrapper subtracted: %.2f)\n", an, bn, a / b, (a - w) / (b - w) }'
}
echo "ratios of medians:"
if [[ " ${names[*]} " == *" airlock "* ]]; then
  ratio airlock crun
  ratio airlock runc
else
  echo "  airlock was not benchmarked (build it: make; or set AIRLOCK=...)"
  ratio crun runc
fi
