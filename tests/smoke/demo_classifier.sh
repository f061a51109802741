#!/usr/bin/env bash
# The guided demo as deploy/demo.sh runs it beside the public data: routing's classifier trained
# from the competition messages (with its progress), then every request placed by the dispatch
# list and the classifier, through to the end.
# Usage: demo_classifier.sh PATH/TO/jiban   (exit 77 = skipped: ../shared/data absent outside CI)
set -euo pipefail
jiban=${1:?usage: demo_classifier.sh PATH/TO/jiban}
root=$(cd "$(dirname "$0")/../.." && pwd)
msgs="$root/../shared/data/taidi2020c_msgs"
if [ ! -f "$msgs/train.tsv" ]; then
  echo "smoke: $msgs is absent (the public data beside the repository)"
  [ "${CI:-}" = "true" ] && exit 1 || exit 77
fi
work=$(mktemp -d /tmp/jiban-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "smoke: FAIL: $*"; exit 1; }

"$jiban" routing train --data="$msgs/train.tsv" --dev="$msgs/dev.tsv" \
  --out="$work/classifier.model" | tee "$work/train"
grep -q "^train: features: " "$work/train" || fail "training showed no progress on its features"
grep -q "^train: category 7/7 trained" "$work/train" || fail "training showed no progress per category"
"$jiban" demo --pace=0 --model="$work/classifier.model" >"$work/demo" 2>&1 || {
  cat "$work/demo"
  fail "the demo stopped"
}
grep -q "the dispatch list and the trained classifier" "$work/demo" || fail "the demo ran without the classifier"
grep -q "demo: done" "$work/demo" || fail "the demo did not run to the end"
# The orders table shows each order's category: the classifier's, since the demo's requests name
# none (its seven categories are the competition's labels).
grep -q -E "^[0-9A-Z]{26} .*(城乡建设|环境保护|交通运输|教育文体|劳动和社会保障|商贸旅游|卫生计生)" "$work/demo" ||
  fail "no order carries a category from the classifier"
echo "smoke: ok"
