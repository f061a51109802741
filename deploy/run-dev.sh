#!/usr/bin/env bash
# Installs, builds and runs the suite in one process on embedded SQLite files: the README's first
# command. Data stays in ./jiban-data between runs (JIBAN_DATA_DIR to change it).
# `run-dev.sh demo [ARGS]` runs the guided demo instead (deploy/demo.sh), with the same model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target jiban jibanctl
jiban=build/release/services/jiban/jiban
# Routing's classifier: trained once from the public competition messages when they are beside the
# repository (a few seconds); without them routing places requests by its rules alone.
data_dir=${JIBAN_DATA_DIR:-./jiban-data}
msgs="$root/../shared/data/taidi2020c_msgs"
mkdir -p "$data_dir"
if [ ! -f "$data_dir/classifier.model" ] && [ -f "$msgs/train.tsv" ]; then
  "$jiban" routing train --data="$msgs/train.tsv" --dev="$msgs/dev.tsv" \
    --out="$data_dir/classifier.model"
fi
if [ "${1:-}" = demo ]; then
  shift
  model=()
  [ -f "$data_dir/classifier.model" ] && model=(--model="$data_dir/classifier.model")
  exec "$jiban" demo "${model[@]}" "$@"
fi
exec "$jiban" dev
