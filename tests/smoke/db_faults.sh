#!/usr/bin/env bash
# The database fails under load (RELIABILITY.md P1, P2, P4): intake runs on a MariaDB of its own
# while `jibanctl import` submits 3,000 requests, 8 at a time; mariadbd is killed with SIGKILL
# twice mid-stream and started again on the same data; the second time it stays down 30 s. Checked:
#   - while the database is down, health turns NOT_SERVING (jiban_ready 0), stays so however long
#     the outage lasts, and turns SERVING after;
#   - every failed call is UNAVAILABLE — never OK-then-lost, never INTERNAL (the importer retries
#     each up to five times with the same request id, backing off);
#   - every acknowledged request is in the database after the crashes (0 lost);
#   - re-running the same file (same request ids) completes the rest: exactly 3,000 requests and
#     3,000 events, none twice.
# Waits are bounded polls on conditions. Usage: db_faults.sh JIBAN JIBANCTL (77: tools missing)
set -euo pipefail
jiban=${1:?usage: db_faults.sh JIBAN JIBANCTL}
ctl=${2:?usage: db_faults.sh JIBAN JIBANCTL}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/smoke/lib.sh"
require_tools mariadbd mariadb-install-db mysql curl python3 node
smoke_setup dbfaults
on_exit='bash "$root/tests/mariadb.sh" stop "$work/db" >/dev/null 2>&1 || true'
bash "$root/tests/mariadb.sh" start "$work/db" >/dev/null || fail "MariaDB did not start"
port=$(cat "$work/db/port")
sql() { mysql -N -h 127.0.0.1 -P "$port" -u root "$@"; }
sql -e "CREATE DATABASE faults"
field_keys "$work/field-keys"
start_service intake env JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/faults" \
  JIBAN_FIELD_KEYS_FILE="$work/field-keys" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR=127.0.0.1:0 \
  JIBAN_DB_POOL_SIZE=8 "$jiban" intake
intake_pid=$service_pid
grpc=127.0.0.1:$grpc_port
metrics=http://127.0.0.1:$metrics_port/metrics
# grep reads the whole page (with -q it would stop early and curl's failing write fail the pipe).
ready_is() { curl -fsS "$metrics" | grep -x "jiban_ready $1" >/dev/null; }
stored() { sql faults -e "SELECT COUNT(*) FROM intake_requests"; }
at_least() { [ "$(stored)" -ge "$1" ]; }

python3 - "$work/requests.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        f.write(json.dumps({"requestId": f"fault-{i}", "request": {
            "channel": "CHANNEL_APP", "nature": "NATURE_SUGGESTION",
            "title": f"建议{i}", "text": f"第{i}条建议：希望增加夜间公交班次。",
            "location": {"districtCode": "410205"}, "requester": {"anonymous": True}}},
            ensure_ascii=False) + "\n")
PY

"$ctl" --gateway="$grpc" import "$work/requests.jsonl" --parallel=8 \
  >"$work/import1.out" 2>"$work/import1.err" &
import_pid=$!
crash() {  # after, down: the number of stored requests to wait for, the outage's length (s)
  until_ok 60 at_least "$1" || fail "the import stalled before $1 requests"
  bash "$root/tests/mariadb.sh" kill9 "$work/db"
  local killed_at=$SECONDS
  until_ok 15 ready_is 0 || fail "health did not turn NOT_SERVING with the database down"
  # Down until calls have failed: the import's progress line counts the attempts it retries.
  local before
  before=$(grep -oE '[0-9]+ retried' "$work/import1.err" | tail -1 | cut -d' ' -f1)
  more_retried() {
    [ "$(grep -oE '[0-9]+ retried' "$work/import1.err" | tail -1 | cut -d' ' -f1)" -gt "${before:-0}" ]
  }
  until_ok 30 more_retried || fail "no call failed while the database was down"
  # The rest of the outage, polled throughout: health never stops saying NOT_SERVING meanwhile.
  not_down() { ! ready_is 0; }
  local remaining=$(($2 - (SECONDS - killed_at)))
  if until_ok $((remaining > 0 ? remaining : 0)) not_down; then
    fail "health turned SERVING with the database down"
  fi
  bash "$root/tests/mariadb.sh" restart "$work/db" || fail "MariaDB did not restart"
  until_ok 30 ready_is 1 || fail "health did not come back with the database"
}
crash 500 0
crash 1500 30
set +e
wait "$import_pid"
code=$?
set -e
[ "$code" = 0 ] || [ "$code" = 1 ] || fail "the first import exited $code"

# Every failed attempt and every refusal was UNAVAILABLE; every acknowledged request survived.
grep -q '^import: failed attempts: UNAVAILABLE [1-9]' "$work/import1.err" \
  || fail "no attempt failed: $(tail -3 "$work/import1.err")"
if grep '^import: failed attempts: ' "$work/import1.err" | grep -qv ' UNAVAILABLE '; then
  fail "failures other than UNAVAILABLE: $(grep '^import: failed attempts' "$work/import1.err")"
fi
if grep -v ': UNAVAILABLE: ' "$work/import1.out" | grep -q .; then
  fail "refusals other than UNAVAILABLE: $(grep -v ': UNAVAILABLE: ' "$work/import1.out" | head -5)"
fi
sql faults -e "SELECT client_request_id FROM intake_requests" | sort >"$work/present"
python3 - "$work/import1.out" "$work/present" <<'PY' || fail "acknowledged requests were lost"
import re, sys
refused = {int(m.group(1)) - 1 for m in re.finditer(r"^line (\d+):", open(sys.argv[1]).read(), re.M)}
present = set(open(sys.argv[2]).read().split())
acked = {f"fault-{i}" for i in range(3000) if i not in refused}
lost = acked - present
print(f"db_faults: {len(acked)} acknowledged, {len(refused)} refused, {len(lost)} lost")
sys.exit(1 if lost else 0)
PY

# The same file again: everything done, nothing twice.
"$ctl" --gateway="$grpc" import "$work/requests.jsonl" --parallel=8 >"$work/import2.out" \
  2>"$work/import2.err" || fail "the second import: $(head -5 "$work/import2.out")"
[ "$(sql faults -e "SELECT COUNT(*), COUNT(DISTINCT client_request_id) FROM intake_requests")" \
  = "$(printf '3000\t3000')" ] || fail "requests stored: $(stored), want 3000 distinct"
[ "$(sql faults -e "SELECT COUNT(*) FROM jiban_events")" = 3000 ] || fail "events are not 3000"
# SIGTERM: intake drains and exits 0.
kill -TERM "$intake_pid"
wait "$intake_pid" || fail "intake exited non-zero after SIGTERM"
echo "db_faults: OK ($(grep '^import: failed attempts' "$work/import1.err" | cut -d' ' -f4-) failed" \
  "attempts, $(grep -c . "$work/import1.out") refused after 5; 0 lost, 0 doubled)"
