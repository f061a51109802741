#!/usr/bin/env bash
# Installs, builds and runs the suite in one process on embedded SQLite files: the README's first
# command. Data stays in ./jiban-data between runs (JIBAN_DATA_DIR to change it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target jiban
exec build/release/services/jiban/jiban dev
