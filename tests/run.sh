#!/usr/bin/env bash
# tests/run.sh unit|integration|all [UNIT_TEST_BINARIES...]
# tests/run.sh vm: the bats tests under integration/vm/ (inside the test VM,
# see hack/vm/run.sh and `make check-vm`).
# Runs the cmocka unit tests and the bats integration suite as one TAP stream
# and closes with the line "N passed, N failed" (and ", N skipped").
set -u
what=$1; shift
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ -n "${AL_SAN_LOG_DIR:-}" ]; then
  rm -rf "$AL_SAN_LOG_DIR"
  mkdir -p "$AL_SAN_LOG_DIR"
  chmod 0777 "$AL_SAN_LOG_DIR" # processes in user namespaces log here too
fi

tally() { # reads TAP on stdin, echoes it, counts results
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      *"ok "*"# skip"*|*"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;; # cmocka: "not ok N # SKIP"
      "not ok "*) failed=$((failed + 1)) ;;
      "ok "*) passed=$((passed + 1)) ;;
    esac
  done
}

if [ "$what" = unit ] || [ "$what" = all ]; then
  for t in "$@"; do
    echo "# unit: $t"
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$log" 2>&1
    rc=$?
    tally < "$log"
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
      echo "not ok - $t exited with status $rc"
      failed=$((failed + 1))
    fi
  done
fi

if [ "$what" = integration ] || [ "$what" = all ]; then
  echo "# integration: bats integration/ integration/hostile/ integration/shim/"
  bats --tap integration integration/hostile integration/shim > "$log" 2>&1
  rc=$?
  tally < "$log"
  if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
    echo "not ok - bats exited with status $rc"
    failed=$((failed + 1))
  fi
fi

if [ "$what" = vm ]; then
  # unit tests that need systemd as PID 1 (they skip on the host)
  for t in "$@"; do
    echo "# unit (vm): $t"
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$log" 2>&1
    rc=$?
    tally < "$log"
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
      echo "not ok - $t exited with status $rc"
      failed=$((failed + 1))
    fi
  done
  echo "# vm: bats integration/vm/"
  bats --tap integration/vm > "$log" 2>&1
  rc=$?
  tally < "$log"
  if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
    echo "not ok - bats exited with status $rc"
    failed=$((failed + 1))
  fi
fi

# Under `make SAN=1`: every ASan/UBSan/LSan report written during the run
# (by any process: CLI, shim, forked children) fails the run.
if [ -n "${AL_SAN_LOG_DIR:-}" ]; then
  reports=$(find "$AL_SAN_LOG_DIR" -type f 2>/dev/null | sort)
  if [ -n "$reports" ]; then
    for r in $reports; do
      echo "# sanitizer report $r:"
      sed 's/^/#   /' "$r"
    done
    echo "not ok - sanitizer reports in $AL_SAN_LOG_DIR"
    failed=$((failed + 1))
  else
    echo "ok - no sanitizer reports in $AL_SAN_LOG_DIR"
    passed=$((passed + 1))
  fi
fi

if [ $skipped -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
