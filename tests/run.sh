#!/usr/bin/env bash
# Installs, builds and runs every test. This is the README's second command and all that CI runs.
#
#   1. installs dependencies (deploy/install-deps.sh)
#   2. lints the contracts (buf lint)
#   3. starts a throwaway MariaDB on 127.0.0.1 (stopped and deleted on exit)
#   4. builds with warnings as errors and runs every test: unit, mysql, e2e, smoke
#   5. builds the libFuzzer targets (clang-14) and runs each for a bounded time (tests/fuzz/run.sh)
#   6. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test again
#
# JIBAN_SKIP_SANITIZERS=1 skips steps 5 and 6 for a quicker local loop (CI never sets it).
# With CI=true each build directory is deleted once its step has passed: a CI machine's disk
# is not sized, and the three builds together need several GiB (docs/decisions.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)

step() { printf '\n==> %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

disk_report() { df -h --output=avail "$root" | tail -1 | tr -d ' '; }
# Frees a build directory in CI once its step passed; a local run keeps it for the next build.
release_build() {
  if [ "${CI:-}" = "true" ]; then
    echo "CI: removing build/$1 ($(du -sh "build/$1" | cut -f1)); $(disk_report) free before"
    rm -rf "build/$1"
  fi
}

step "dependencies (disk free: $(disk_report))"
bash deploy/install-deps.sh

step "buf lint"
tools/node_modules/.bin/buf lint proto

work=$(mktemp -d /tmp/jiban-tests.XXXXXX)
cleanup() { bash tests/mariadb.sh stop "$work/mariadb" || true; rm -rf "$work"; }
trap cleanup EXIT
step "MariaDB on 127.0.0.1"
JIBAN_TEST_MYSQL_DSN=$(bash tests/mariadb.sh start "$work/mariadb")
export JIBAN_TEST_MYSQL_DSN
echo "MariaDB admin DSN: $JIBAN_TEST_MYSQL_DSN"

run_suite() {  # CMake preset (CMakePresets.json): ci or asan
  step "configure $1"
  cmake --preset "$1" >/dev/null
  step "build $1"
  cmake --build --preset "$1" -j "$jobs"
  step "test $1"
  ctest --preset "$1" -j "$jobs" --timeout 600
}

run_suite ci
release_build ci
if [ "${JIBAN_SKIP_SANITIZERS:-0}" != "1" ]; then
  step "fuzz (clang-14 libFuzzer, ASan + UBSan, ${JIBAN_FUZZ_SECONDS:-20} s per target)"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$jobs"
  bash tests/fuzz/run.sh build/fuzz "${JIBAN_FUZZ_SECONDS:-20}"
  release_build fuzz

  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite asan
fi
step "all tests passed (disk free: $(disk_report))"
