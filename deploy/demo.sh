#!/usr/bin/env bash
# The guided demo (services/jiban/demo.h): installs, builds, trains routing's classifier from the
# public competition messages when they are beside the repository, and runs `jiban demo` — all by
# deploy/run-dev.sh. Extra arguments go to the demo, e.g. `bash deploy/demo.sh --pace=0`.
set -euo pipefail
exec bash "$(dirname "$0")/run-dev.sh" demo "$@"
