#!/usr/bin/env bash
# Validates k8s/ and deploy/Dockerfile offline in a few seconds: renders every overlay with
# `kubectl kustomize`, then deploy/check-k8s.mjs checks each object against the Kubernetes
# schemas and Jiban's conventions (see its header). Needs kubectl and `npm ci` in tools/.
#
#   bash deploy/check-k8s.sh [BINARY]   BINARY: a built `jiban`; also checks that the image's
#                                       runtime stage installs every library it links
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v kubectl >/dev/null || { echo "check-k8s: kubectl is required" >&2; exit 1; }
command -v node >/dev/null || { echo "check-k8s: node is required" >&2; exit 1; }
[ -d "$root/tools/node_modules/kubernetes-models" ] ||
  { echo "check-k8s: run \`npm ci\` in tools/ first (deploy/install-deps.sh does)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rendered=()
for dir in "$root"/k8s/overlays/*/; do
  overlay=$(basename "$dir")
  if ! kubectl kustomize "$dir" >"$work/$overlay.yaml" 2>"$work/$overlay.err"; then
    echo "check-k8s: FAIL $overlay: kubectl kustomize: $(cat "$work/$overlay.err")"
    exit 1
  fi
  rendered+=("$overlay=$work/$overlay.yaml")
done
node "$root/deploy/check-k8s.mjs" "$root" "${rendered[@]}" ${1:+"--binary=$1"}
