#!/usr/bin/env bash
# kill -9 of every service during a 10,000-request run (RELIABILITY.md P1–P3): intake, routing,
# escalation and assessment on MariaDB, each on a fixed port so the others find it again after a
# restart; `jibanctl import` submits 10,000 requests to intake, 8 at a time, retrying transient
# failures with the same request ids, while each service in turn is SIGKILLed and started again.
# Half the requests are "could not get it done" (an order, a red light and a case each), half
# suggestions (the triage desk). Afterwards, within 30 s of the last acknowledgement:
#   - 0 acknowledged requests lost, none stored twice;
#   - one work order per could-not-get-done request, none for the others; none doubled;
#   - one red light per order; assessment holds exactly routing's orders and escalation's lights;
#   - every event consumer's lag is 0 (every log drained).
# Usage: suite_faults.sh JIBAN JIBANCTL   (77: MariaDB or tools missing outside CI)
set -euo pipefail
jiban=${1:?usage: suite_faults.sh JIBAN JIBANCTL}
ctl=${2:?usage: suite_faults.sh JIBAN JIBANCTL}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/smoke/lib.sh"
require_tools mysql curl python3
smoke_setup faults
services=(intake routing escalation assessment)
service_databases faults "${services[@]}"
field_keys "$work/field-keys"

declare -A grpc metrics pid env_of
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
for s in "${services[@]}"; do grpc[$s]=127.0.0.1:$(free_port); done
env_of[intake]="JIBAN_FIELD_KEYS_FILE=$work/field-keys JIBAN_ROUTING_ADDR=${grpc[routing]}"
env_of[routing]="JIBAN_INTAKE_ADDR=${grpc[intake]}"
env_of[escalation]="JIBAN_ROUTING_ADDR=${grpc[routing]} JIBAN_SCAN_SECONDS=0.2"
env_of[assessment]="JIBAN_INTAKE_ADDR=${grpc[intake]} JIBAN_ROUTING_ADDR=${grpc[routing]} JIBAN_ESCALATION_ADDR=${grpc[escalation]}"
runs=0
launch() {  # service: (re)starts it on its port
  runs=$((runs + 1))
  # shellcheck disable=SC2086  # env_of holds NAME=value words
  start_service "$1-$runs" env JIBAN_DB_DSN="$(dsn "$1")" \
    JIBAN_GRPC_ADDR="${grpc[$1]}" JIBAN_METRICS_ADDR=127.0.0.1:0 JIBAN_DB_POOL_SIZE=8 \
    ${env_of[$1]} "$jiban" "$1"
  pid[$1]=$service_pid
  metrics[$1]=$metrics_port
}
for s in "${services[@]}"; do launch "$s"; done

python3 - "$work/requests.jsonl" <<'PY'
import json, random, sys
# Texts unlike each other, so that intake's duplicate detector links none of them.
pool = "材料齐全窗口让下周再来已经跑了三次证照变更营业执照社保医保户口公积金税务登记审批盖章复印件原件证明说明身份证明办理流程时间地点部门人员态度答复结果进度查询预约排队网上系统故障无法提交退回补正"
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        text = "".join(random.Random(i).sample(pool, 30))
        could_not = i % 2 == 0  # a named citizen (it cannot be anonymous)
        f.write(json.dumps({"requestId": f"fault-{i}", "request": {
            "channel": "CHANNEL_APP",
            "nature": "NATURE_COULD_NOT_GET_DONE" if could_not else "NATURE_SUGGESTION",
            "title": f"第{i}件事", "text": text,
            "location": {"districtCode": "410204"},
            "requester": {"citizen": {"name": "市民", "phone": f"138{i:08d}"}} if could_not
                         else {"anonymous": True}}},
            ensure_ascii=False) + "\n")
PY
"$ctl" --gateway="${grpc[intake]}" import "$work/requests.jsonl" --parallel=8 \
  >"$work/import.out" 2>"$work/import.err" &
import_pid=$!
at_least() { [ "$(sql intake "SELECT COUNT(*) FROM intake_requests")" -ge "$1" ]; }
n=0
for s in "${services[@]}"; do
  n=$((n + 2000))
  until_ok 120 at_least "$n" || fail "the import stalled before $n requests"
  kill -9 "${pid[$s]}"
  wait "${pid[$s]}" 2>/dev/null || true
  launch "$s"
done
set +e
wait "$import_pid"
code=$?
set -e
[ "$code" = 0 ] || fail "the import refused lines: $(head -5 "$work/import.out")"
# What failed while a service was down was indeterminate (UNAVAILABLE, DEADLINE_EXCEEDED) and
# retried with the same request id — never INTERNAL or UNKNOWN.
if grep '^import: failed attempts: ' "$work/import.err" | grep -qvE ' (UNAVAILABLE|DEADLINE_EXCEEDED) '; then
  fail "failures other than UNAVAILABLE: $(grep '^import: failed attempts' "$work/import.err")"
fi

# Every log drained within 30 s: routing placed all 10,000, escalation and assessment caught up,
# every consumer's lag is 0.
lag_zero() {
  local s
  for s in "${services[@]}"; do
    curl -fsS "http://127.0.0.1:${metrics[$s]}/metrics" >"$work/m-$s.txt" || return 1
    if grep '^jiban_event_consumer_lag_events' "$work/m-$s.txt" | grep -qv ' 0$'; then return 1; fi
  done
}
orders=0
drained() {
  [ "$(sql routing "SELECT COUNT(*) FROM routing_requests")" = 10000 ] || return 1
  orders=$(sql routing "SELECT COUNT(*) FROM routing_orders")
  [ "$(sql escalation "SELECT COUNT(*) FROM escalation_lights")" = "$orders" ] || return 1
  [ "$(sql assessment "SELECT COUNT(*) FROM assessment_orders")" = "$orders" ] || return 1
  [ "$(sql assessment "SELECT COUNT(*) FROM assessment_lights")" = "$orders" ] || return 1
  lag_zero
}
# The promise is 30 s; a sanitizer build runs several times slower and gets 120 s.
limit=30
if ldd "$jiban" | grep -q libasan; then limit=120; fi
until_ok "$limit" drained || fail "not drained in $limit s: routing $(sql routing "SELECT COUNT(*) FROM \
routing_requests") requests, $orders orders; lights $(sql escalation "SELECT COUNT(*) FROM \
escalation_lights"); assessment $(sql assessment "SELECT COUNT(*) FROM assessment_orders") orders"

[ "$(sql intake "SELECT COUNT(*), COUNT(DISTINCT client_request_id) FROM intake_requests")" \
  = "$(printf '10000\t10000')" ] || fail "intake does not hold exactly 10,000 distinct requests"
[ "$orders" = 5000 ] || fail "routing made $orders orders, want 5,000 (one per could-not-get-done)"
[ "$(sql routing "SELECT COUNT(*) FROM (SELECT request_id FROM routing_orders GROUP BY request_id \
  HAVING COUNT(*) > 1) d")" = 0 ] || fail "a request has two work orders"
[ "$(sql escalation "SELECT COUNT(DISTINCT order_id) FROM escalation_lights")" = 5000 ] \
  || fail "an order has two lights, or one has none"
echo "suite_faults: OK (intake, routing, escalation and assessment each killed once; 10,000 \
requests, 5,000 orders, 5,000 lights; $(grep '^import: failed attempts' "$work/import.err" \
| cut -d' ' -f4- | tr '\n' ' ')failed attempts retried)"
