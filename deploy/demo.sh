#!/usr/bin/env bash
# The guided demo (services/jiban/demo.h): installs, builds, trains routing's classifier from the
# public competition messages when they are beside the repository, and runs `jiban demo`.
# Extra arguments go to the demo, e.g. `bash deploy/demo.sh --pace=0` to run it without pauses.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target jiban jibanctl
jiban=build/release/services/jiban/jiban
model=${JIBAN_DATA_DIR:-./jiban-data}/classifier.model
msgs="$root/../shared/data/taidi2020c_msgs"
args=()
if [ ! -f "$model" ] && [ -f "$msgs/train.tsv" ]; then
  mkdir -p "$(dirname "$model")"
  "$jiban" routing train --data="$msgs/train.tsv" --dev="$msgs/dev.tsv" --out="$model"
fi
[ -f "$model" ] && args+=(--model="$model")
exec "$jiban" demo "${args[@]}" "$@"
