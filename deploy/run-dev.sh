#!/usr/bin/env bash
# Installs, builds and runs the suite in one process on embedded SQLite files: the README's first
# command. Data stays in ./jiban-data between runs (JIBAN_DATA_DIR to change it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target jiban jibanctl
# Routing's classifier: trained once from the public competition messages when they are beside the
# repository (a few seconds); without them routing places requests by its rules alone.
data_dir=${JIBAN_DATA_DIR:-./jiban-data}
msgs="$root/../shared/data/taidi2020c_msgs"
mkdir -p "$data_dir"
if [ ! -f "$data_dir/classifier.model" ] && [ -f "$msgs/train.tsv" ]; then
  build/release/services/jiban/jiban routing train --data="$msgs/train.tsv" --dev="$msgs/dev.tsv" \
    --out="$data_dir/classifier.model"
fi
exec build/release/services/jiban/jiban dev
