#!/bin/bash
# exec.sh: time `exec` of /bin/true into a running container with airlock,
# crun and runc side by side, using hyperfine.
#
#   hack/bench/exec.sh [--runs N] [--warmup N]
#
# Environment: AIRLOCK (default build/airlock), CRUN (crun), RUNC (runc).
# One container per runtime runs `sleep` from the same busybox bundle and the
# `runc spec` config (5 namespaces). Every command, for every runtime, runs
# inside the same wrapper: a private mount namespace with cgroup2 mounted over
# /sys/fs/cgroup (crun refuses this hybrid host otherwise); the wrapper's own
# cost is the "wrapper" row. crun runs with --cgroup-manager=disabled.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=100
warmup=5
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "exec.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "exec.sh: needs root" >&2; exit 1; }
airlock=${AIRLOCK:-$top/build/airlock}
crun=$(command -v "${CRUN:-crun}" || true)
runc=$(command -v "${RUNC:-runc}" || true)
work=$(mktemp -d /tmp/airlock-bench-exec.XXXXXX)
chmod 0711 "$work"
declare -A bin gopts
bin[airlock]=$airlock; gopts[airlock]="--root $work/state/airlock"
bin[crun]=$crun;       gopts[crun]="--root $work/state/crun --cgroup-manager=disabled"
bin[runc]=$runc;       gopts[runc]="--root $work/state/runc"
names=()

cat > "$work/wrap.sh" <<'EOS'
#!/bin/sh
exec unshare --mount --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "$@"
EOS
chmod +x "$work/wrap.sh"

cleanup() {
  for rt in "${names[@]+"${names[@]}"}"; do
    "$work/wrap.sh" ${bin[$rt]} ${gopts[$rt]} delete -f "bench-exec-$rt" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

"$top/hack/mkbundle.sh" "$work/bundle" >/dev/null
rm -f "$work/bundle/config.json"
runc spec --bundle "$work/bundle"
jq '.process.terminal = false | .process.args = ["sleep", "1000000"]' "$work/bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"

hf=(-N --runs "$runs" --warmup "$warmup" --export-json "$work/results.json")
for rt in airlock crun runc; do
  b=${bin[$rt]}
  if [ -z "$b" ] || [ ! -x "$b" ]; then echo "skipped: $rt (not found)"; continue; fi
  mkdir -p "$work/state/$rt"
  if ! "$work/wrap.sh" "$b" ${gopts[$rt]} run -d --bundle "$work/bundle" "bench-exec-$rt" </dev/null >/dev/null 2>&1; then
    echo "skipped: $rt (could not start the container)"; continue
  fi
  names+=("$rt")
  hf+=(-n "$rt" "$work/wrap.sh $b ${gopts[$rt]} exec bench-exec-$rt /bin/true")
done
hf+=(-n wrapper "$work/wrap.sh /bin/true")
hyperfine "${hf[@]}"

echo
echo "ms, $runs runs (each includes the wrapper's cost):"
jq -r '.results[] | [.command, .median * 1000, .mean * 1000, .min * 1000] | @tsv' "$work/results.json" |
  awk -F '\t' '{ printf "  %-8s median %7.2f  mean %7.2f  min %7.2f\n", $1, $2, $3, $4 }'
median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$work/results.json"; }
w=$(median wrapper)
for other in crun runc; do
  a=$(median airlock); b=$(median "$other")
  [ -n "$a" ] && [ -n "$b" ] || continue
  awk -v a="$a" -v b="$b" -v w="$w" -v o="$other" 'BEGIN {
    printf "  airlock/%s: %.2f   (wrapper subtracted: %.2f)\n", o, a / b, (a - w) / (b - w) }'
done
