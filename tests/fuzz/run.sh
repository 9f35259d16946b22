#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS NAME...: run each libFuzzer harness
# build-fuzz/fuzz/NAME (built by `make fuzz`) for SECONDS, one after the
# other, on a working corpus build-fuzz/corpus/NAME seeded from
# tests/fuzz/corpus/NAME, after every input of tests/fuzz/regress/NAME (with
# the dictionary tests/fuzz/NAME.dict when there is one). Prints
# one summary line per harness (runs, exec/s, coverage) and fails when one
# crashed, leaked, timed out or ran out of memory (the input is kept in
# build-fuzz/crashes/NAME/, the log in build-fuzz/logs/NAME.log).
set -u
cd "$(dirname "$0")/../.."
secs=$1; shift
failed=()
for h in "$@"; do
  bin=build-fuzz/fuzz/$h
  case $h in
    config|seccomp|profile) max_len=16384 ;;
    ttrpc) max_len=8192 ;;
    notify) max_len=1200 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "build-fuzz/corpus/$h" "build-fuzz/crashes/$h" build-fuzz/logs
  log=build-fuzz/logs/$h.log
  dirs=("build-fuzz/corpus/$h" "tests/fuzz/corpus/$h")
  [ -d "tests/fuzz/regress/$h" ] && dirs+=("tests/fuzz/regress/$h")
  opts=()
  [ -f "tests/fuzz/$h.dict" ] && opts+=(-dict="tests/fuzz/$h.dict")
  "$bin" "${opts[@]}" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$h/" "${dirs[@]}" > "$log" 2>&1
  rc=$?
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf 'fuzz %-8s %3ss  runs %-9s exec/s %-7s cov %-5s ft %-6s corpus %-5s %s\n' "$h" "$secs" \
    "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc, see $log)")"
  if [ $rc -ne 0 ]; then
    failed+=("$h")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5
    ls build-fuzz/crashes/"$h"/ 2>/dev/null | head -5 | sed "s|^|  build-fuzz/crashes/$h/|"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} harness(es) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: $# harnesses ok"
