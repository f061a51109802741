#!/usr/bin/env bash
# Installs everything building, running and testing Jiban needs on Debian 12.
# Idempotent: re-running it installs nothing new. Called by the README's commands and by .ci/run.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev libsqlite3-dev libmysqlcppconn-dev
  prometheus-cpp-dev catch2 nlohmann-json3-dev
  mariadb-server mariadb-client prometheus
  liblinear-dev librapidcheck-dev
)

# The build image brings Node.js and npm; a plain Debian 12 gets Debian's (Node.js 18 is enough).
command -v npm >/dev/null || packages+=(nodejs npm)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node tools live in the project (tools/node_modules), never global: buf for proto lint and curl,
# the Kubernetes schemas, YAML parser and Dockerfile linter for deploy/check-k8s.sh.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/tools/node_modules/.bin/buf" ] ||
  [ "$root/tools/package-lock.json" -nt "$root/tools/node_modules/.package-lock.json" ]; then
  echo "install-deps: installing the pinned Node tools into tools/"
  (cd "$root/tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "install-deps: ok"
