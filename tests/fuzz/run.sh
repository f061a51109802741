#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time from its committed seed corpus
# (tests/fuzz/corpus/<target>/; new inputs go to a scratch copy, never into the repository).
# A crash, leak, ASan or UBSan finding fails the run and prints the input. The seed is fixed (1)
# so that CI repeats itself; JIBAN_FUZZ_SEED=N explores elsewhere.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_EACH]   (build: cmake --preset fuzz && cmake --build --preset fuzz)
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS_EACH]}
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/jiban-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work  # service_fuzz keeps its suite's SQLite files there
status=0
for seeds in "$here"/corpus/*/; do
  name=$(basename "$seeds")
  bin="$build/tests/fuzz/$name"
  [ -x "$bin" ] || { echo "fuzz: $bin is not built"; exit 1; }
  mkdir -p "$work/$name"
  if "$bin" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -seed="${JIBAN_FUZZ_SEED:-1}" -print_final_stats=1 \
      -artifact_prefix="$work/$name-" "$work/$name" "$seeds" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" \
      | grep -o '[0-9]*$') runs in ${seconds}s, no findings"
  else
    echo "fuzz: $name: FINDING"
    tail -40 "$work/$name.log"
    status=1
  fi
done
exit $status
