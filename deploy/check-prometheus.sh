#!/usr/bin/env bash
# Checks the monitoring files offline, in seconds: promtool check config / check rules / test rules
# on deploy/prometheus/, then the Grafana dashboard (valid JSON; every panel titled, with queries,
# naming only metrics the services export or rules.yml records) and rules.yml itself (every alert
# has a severity, a summary, a description, and tests where it fires and where it must not).
# Runs from any directory; exits non-zero naming each failure. PROMTOOL overrides the promtool.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
promtool=${PROMTOOL:-promtool}
failed=()

step() { # NAME COMMAND...: run, show the output only when it fails
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok: $name"
  else
    printf '%s\n' "$out"
    echo "FAILED: $name"
    failed+=("$name")
  fi
}

step "promtool check config" "$promtool" check config deploy/prometheus/prometheus.yml
step "promtool check rules" "$promtool" check rules deploy/prometheus/rules.yml
step "promtool test rules" "$promtool" test rules deploy/prometheus/rules_test.yml

read -r -d '' checks <<'PY'
import json, re, sys

RULES = "deploy/prometheus/rules.yml"
TESTS = "deploy/prometheus/rules_test.yml"
DASHBOARD = "deploy/grafana/jiban-dashboard.json"

# What the services export (docs/observability.md); histograms as their three series.
EXPORTED = set("""
up process_start_time_seconds jiban_build_info jiban_ready
grpc_server_started_total grpc_server_handled_total
jiban_event_log_head_sequence jiban_event_log_appended_total
jiban_event_consumer_lag_events jiban_event_consumer_applied_total
jiban_event_consumer_failures_total
jiban_routing_calendar_fallback_total
jiban_escalation_lights_raised_total jiban_escalation_active_lights jiban_escalation_open_cases
jiban_assessment_unit_score jiban_bundle_parts_dispatched_total
""".split())
for h in ("grpc_server_handling_seconds", "jiban_routing_dispatch_lag_seconds"):
    EXPORTED |= {h + "_bucket", h + "_sum", h + "_count"}

errors = []
rules_text = open(RULES, encoding="utf-8").read()
recorded = set(re.findall(r"^\s*-?\s*record:\s*(\S+)", rules_text, re.M))
alerts = re.findall(r"^\s*-?\s*alert:\s*(\S+)", rules_text, re.M)
known = EXPORTED | recorded

def names_in(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # string literals
    expr = re.sub(r"#[^\n]*", "", expr)  # comments
    for tok in re.findall(r"(?<![\w:$.])[a-zA-Z_][a-zA-Z0-9_:]*", expr):
        if ":" in tok or tok == "up" or re.match(r"(jiban|grpc_server|process)_", tok):
            yield tok

def check_expr(where, expr):
    for name in sorted(set(names_in(expr))):
        if name not in known:
            errors.append(f"{where}: unknown metric or recording rule {name!r}")

# rules.yml: expressions (inline or `expr: |` blocks), and each alert's labels and annotations.
lines = rules_text.splitlines()
for i, line in enumerate(lines):
    m = re.match(r"^(\s*)expr:\s*(.*)$", line)
    if not m:
        continue
    indent, value = len(m.group(1)), m.group(2).strip()
    if value in ("|", ">", "|-", ">-"):
        block = []
        for nxt in lines[i + 1:]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            block.append(nxt)
        value = "\n".join(block)
    check_expr(f"{RULES}:{i + 1}", value)
for chunk in re.split(r"^\s*- (?=alert:|record:)", rules_text, flags=re.M)[1:]:
    if not chunk.startswith("alert:"):
        continue
    name = chunk.split()[1]
    for need in ("severity:", "summary:", "description:"):
        if not re.search(rf"^\s*{need}\s*\S", chunk, re.M):
            errors.append(f"{RULES}: alert {name} has no {need.rstrip(':')}")

# rules_test.yml: every alert has a case that fires and one that must not.
tests_text = open(TESTS, encoding="utf-8").read()
fires, quiet = set(), set()
for case in re.split(r"^\s*- eval_time:", tests_text, flags=re.M)[1:]:
    m = re.search(r"^\s*alertname:\s*(\S+)", case, re.M)
    if m:
        (quiet if re.search(r"^\s*exp_alerts:\s*\[\s*\]", case, re.M) else fires).add(m.group(1))
for name in alerts:
    if name not in fires:
        errors.append(f"{TESTS}: no test where {name} fires")
    if name not in quiet:
        errors.append(f"{TESTS}: no test where {name} must stay quiet")
for name in sorted((fires | quiet) - set(alerts)):
    errors.append(f"{TESTS}: tests an alert rules.yml does not define: {name}")

# The dashboard.
try:
    dash = json.load(open(DASHBOARD, encoding="utf-8"))
except (OSError, ValueError) as e:
    errors.append(f"{DASHBOARD}: not valid JSON: {e}")
    dash = None
if dash is not None:
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        errors.append(f"{DASHBOARD}: no `datasource` variable of type datasource (prometheus)")
    for v in variables.values():
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else q or ""
        if v.get("type") == "query":
            check_expr(f"{DASHBOARD}: variable {v.get('name')}", q)
    panels, ids = [], []
    for p in dash.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))  # inside collapsed rows
    for p in panels:
        title = p.get("title", "").strip()
        where = f"{DASHBOARD}: panel {title or p.get('id')!r}"
        ids.append(p.get("id"))
        if not title:
            errors.append(f"{where}: no title")
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        if not targets:
            errors.append(f"{where}: no targets")
        if (p.get("datasource") or {}).get("uid") != "${datasource}":
            errors.append(f"{where}: datasource is not ${{datasource}}")
        for t in targets:
            if not (t.get("expr") or "").strip():
                errors.append(f"{where}: target {t.get('refId')} has no expr")
            check_expr(where, t.get("expr") or "")
    dupes = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if dupes:
        errors.append(f"{DASHBOARD}: duplicate panel ids {dupes}")

for e in errors:
    print(e)
print(f"{len(alerts)} alerts, {len(recorded)} recording rules checked")
sys.exit(1 if errors else 0)
PY
step "dashboard, rule and test coverage checks" python3 -c "$checks"

if ((${#failed[@]})); then
  printf 'check-prometheus: %d failed:\n' "${#failed[@]}"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "check-prometheus: all passed"
