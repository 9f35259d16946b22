#!/bin/bash
# load.sh: throughput under load, in containers per second.
#
#   hack/bench/load.sh [--containers N] [--pods N] [--runtimes "airlock crun runc"]
#                      [--shims "airlock runc"] [--no-cli] [--no-shim]
#
# CLI: N containers (default 100) started all at once (`RUNTIME run -d`, each
# in the background, then wait for all), with airlock, crun and runc side by
# side on the same bundle (busybox rootfs, `sleep 600`), then all deleted at
# once (`delete --force`). Reported: containers/s for the starts and for the
# deletes, and the failures. As in lifecycle.sh each runtime runs inside the
# same wrapper: one private mount namespace with cgroup2 over /sys/fs/cgroup
# (crun refuses this hybrid host's cgroups otherwise), and crun runs with
# --cgroup-manager=disabled (it creates no cgroup: keep that in mind).
#
# Shim: N pods (default 50) through a private containerd 1.6 and its CRI
# plugin (RunPodSandbox with runtime handler airlock, then runc: containerd's
# io.containerd.runc.v2), all at once from one client (cri_client.py
# run-pods), then stopped and removed at once. Reported: pods/s.
#
# Environment: AIRLOCK (default build/airlock), CRUN, RUNC, BUILD_DIR (the
# shim's directory, default build/).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

n=100
pods=50
runtimes="airlock crun runc"
shims="airlock runc"
do_cli=1
do_shim=1
usage() { sed -n '2,22s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--containers) n=${2:?}; shift 2 ;;
	--pods) pods=${2:?}; shift 2 ;;
	--runtimes) runtimes=${2?}; shift 2 ;;
	--shims) shims=${2?}; shift 2 ;;
	--no-cli) do_cli=; shift ;;
	--no-shim) do_shim=; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "load.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done
case "$n$pods" in *[!0-9]*) echo "load.sh: --containers and --pods take numbers" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "load.sh: needs root" >&2; exit 1; }

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { t = b - a; printf "%d %.2f %.1f\n", n, t, (t > 0) ? n / t : 0 }'; }

results=()

# ---- CLI ---------------------------------------------------------------------
airlock=${AIRLOCK:-$top/build/airlock}
case "$airlock" in /*) ;; */*) airlock=$top/$airlock ;; esac
declare -A bin gopts
bin[airlock]=$airlock
bin[crun]=$(command -v "${CRUN:-crun}" || true)
bin[runc]=$(command -v "${RUNC:-runc}" || true)

work=$(mktemp -d /tmp/airlock-load.XXXXXX)
gopts[airlock]="--root $work/state/airlock"
gopts[crun]="--root $work/state/crun --cgroup-manager=disabled"
gopts[runc]="--root $work/state/runc"

cli_cleanup() {
	local rt id b
	for rt in airlock crun runc; do
		b=${bin[$rt]}
		[ -n "$b" ] && [ -x "$b" ] && [ -d "$work/state/$rt" ] || continue
		for id in $("$b" ${gopts[$rt]} list -q 2>/dev/null); do
			"$work/wrap.sh" "$b" ${gopts[$rt]} delete -f "$id" >/dev/null 2>&1 ||
				echo "load.sh: could not delete $rt container $id" >&2
		done
	done
	for cg in /sys/fs/cgroup/unified/load-* /sys/fs/cgroup/unified/airlock/load-*; do
		[ -d "$cg" ] && rmdir "$cg" 2>/dev/null
	done
	return 0
}

cleanup() {
	local rc=$?
	set +e
	cli_cleanup
	if [ -n "${CTD_DIR:-}" ] && [ -d "$CTD_DIR" ]; then
		shim_teardown_file >/dev/null 2>&1
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wrap.sh CMD...: CMD in a private mount namespace with cgroup2 over
# /sys/fs/cgroup (as in lifecycle.sh).
cat >"$work/wrap.sh" <<'EOF'
#!/bin/sh
exec unshare --mount --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "$@"
EOF
# burst.sh N OP RUNTIME OPTS...: N `RUNTIME OPTS run -d` (OP=run) or
# `delete -f` (OP=delete) at once in one wrapper; prints the failures.
cat >"$work/burst.sh" <<'EOF'
#!/bin/bash
n=$1 op=$2 rt=$3 bundle=$4; shift 4
pids=()
for ((i = 0; i < n; i++)); do
	if [ "$op" = run ]; then
		"$@" run -d --bundle "$bundle" "load-$rt-$i" </dev/null >"$bundle/../out.$rt.$i" 2>&1 &
	else
		"$@" delete -f "load-$rt-$i" </dev/null >"$bundle/../out.$rt.$i" 2>&1 &
	fi
	pids[i]=$!
done
bad=0
for ((i = 0; i < n; i++)); do
	if ! wait "${pids[i]}"; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && echo "  $op load-$rt-$i: $(tail -n 2 "$bundle/../out.$rt.$i" | tr '\n' ' ')" >&2
	fi
done
echo "$bad"
EOF
chmod +x "$work/wrap.sh" "$work/burst.sh"

cli_bench() {
	local bundle=$work/bundle
	mkdir -p "$work/state"/{airlock,crun,runc}
	"$top/hack/mkbundle.sh" "$bundle" >/dev/null
	jq '.process.terminal = false | .process.args = ["sleep", "600"]' "$bundle/config.json" >"$bundle/config.json.new"
	mv "$bundle/config.json.new" "$bundle/config.json"
	echo "CLI: $n containers started at once, then deleted at once (busybox sleep 600)"
	local rt b t0 t1 t2 bad_run bad_del
	for rt in $runtimes; do
		b=${bin[$rt]:-}
		if [ -z "$b" ] || [ ! -x "$b" ]; then
			echo "  $rt: not found, skipped"
			continue
		fi
		t0=$(now)
		bad_run=$("$work/wrap.sh" "$work/burst.sh" "$n" run "$rt" "$bundle" "$b" ${gopts[$rt]})
		t1=$(now)
		local running
		running=$("$b" ${gopts[$rt]} list -q 2>/dev/null | wc -l)
		bad_del=$("$work/wrap.sh" "$work/burst.sh" "$n" delete "$rt" "$bundle" "$b" ${gopts[$rt]})
		t2=$(now)
		read -r _ ts rs < <(rate "$((n - bad_run))" "$t0" "$t1")
		read -r _ td rd < <(rate "$((n - bad_del))" "$t1" "$t2")
		results+=("$(printf 'cli   %-8s %5d %8s %9s %6s %8s %9s %6s %8s' "$rt" "$n" "$ts" "$rs" "$bad_run" "$td" "$rd" "$bad_del" "$running")")
		cli_cleanup
	done
}

# ---- shim ----------------------------------------------------------------------
shim_bench() {
	BATS_TEST_DIRNAME=$top/integration/shim
	SHIM_NEED_CRI=1
	NS=${NS:-airlock-bench}
	# shellcheck source=../../integration/shim/helpers.bash
	source "$top/integration/shim/helpers.bash"
	echo "shim: $pods pods (CRI RunPodSandbox, host network) started at once, then stopped and removed at once"
	shim_setup_file
	local s out bad t0 t1 t2 ids up
	for s in $shims; do
		case $s in
		airlock | runc) ;;
		*) echo "  $s: unknown shim, skipped"; continue ;;
		esac
		# Warm-up: one pod (snapshot unpacked, page cache).
		ids=$(cri run-pods --count 1 --name-prefix "warm-$s" --handler "$s" 2>/dev/null) || true
		[ -z "$ids" ] || cri stop-rm-pods $ids >/dev/null 2>&1 || true
		t0=$(now)
		out=$(cri run-pods --count "$pods" --name-prefix "load-$s" --handler "$s" 2>"$work/shim.$s.err") || true
		t1=$(now)
		ids=$(echo "$out" | grep -E '^[0-9a-f]{64}$' || true)
		up=$(echo "$ids" | grep -c . || true)
		bad=$(grep -c '^pod ' "$work/shim.$s.err" || true)
		[ "$bad" = 0 ] || head -n 3 "$work/shim.$s.err" | sed 's/^/  /' >&2
		local bad_del=0
		cri stop-rm-pods $ids >/dev/null 2>"$work/shim.$s.del" || bad_del=$(grep -c '^pod ' "$work/shim.$s.del" || true)
		t2=$(now)
		read -r _ ts rs < <(rate "$up" "$t0" "$t1")
		read -r _ td rd < <(rate "$((up - bad_del))" "$t1" "$t2")
		results+=("$(printf 'shim  %-8s %5d %8s %9s %6s %8s %9s %6s %8s' "$s" "$pods" "$ts" "$rs" "$bad" "$td" "$rd" "$bad_del" "$up")")
	done
	shim_teardown_file || echo "load.sh: the shim run left something behind (see above)" >&2
	unset CTD_DIR
}

[ -z "$do_cli" ] || cli_bench
[ -z "$do_shim" ] || shim_bench

echo
echo "2 cores shared; wall time of the whole burst (s), throughput in containers (pods)/s:"
printf '%-5s %-8s %5s %8s %9s %6s %8s %9s %6s %8s\n' "" runtime n "start s" "start/s" failed "del s" "del/s" failed running
printf '%s\n' "${results[@]}"
