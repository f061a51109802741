# Shared by the smoke and fault scripts (source it): tools, a scratch directory that is removed
# with every child process on exit, failures that show the logs, services started on ports the
# kernel picks, bounded polls.

# require_tools TOOL...: each on PATH (or an executable path), else exit 77 (skipped), 1 in CI.
require_tools() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null; then
      echo "smoke: $tool is missing (deploy/install-deps.sh installs it)"
      [ "${CI:-}" = "true" ] && exit 1 || exit 77
    fi
  done
}

# smoke_setup NAME: $work (scratch) and $pids (killed on exit); `on_exit` may name more cleanup.
smoke_setup() {
  work=$(mktemp -d "/tmp/jiban-$1.XXXXXX")
  pids=()
  on_exit=:
  trap 'eval "$on_exit"; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
}

# fail MESSAGE: says so, shows the end of every log in $work, exits 1.
fail() {
  echo "smoke: FAIL: $*"
  local f
  for f in "$work"/*.log "$work"/*.err; do
    [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
  done
  exit 1
}

# start_service NAME COMMAND...: runs it (logs in $work/NAME.log and .err), waits for its
# "started" line, and sets grpc_port, metrics_port and service_pid.
start_service() {
  local name=$1 line
  shift
  : >"$work/$name.log"  # exists before tail follows it
  "$@" >"$work/$name.log" 2>"$work/$name.err" &
  service_pid=$!
  pids+=("$service_pid")
  timeout 20 grep -q -m1 '"msg":"started"' <(tail -n +1 --pid="$service_pid" -f "$work/$name.log") \
    || fail "$name did not start"
  line=$(grep '"msg":"started"' "$work/$name.log")
  grpc_port=$(sed -E 's/.*"grpc_port":([0-9]+).*/\1/' <<<"$line")
  metrics_port=$(sed -E 's/.*"metrics_port":([0-9]+).*/\1/' <<<"$line")
}

# until_ok SECONDS COMMAND...: polls the command until it succeeds; 1 when time runs out.
until_ok() {
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do [ "$SECONDS" -lt "$end" ] || return 1; done
}

source "$(dirname "${BASH_SOURCE[0]}")/../dev_secrets.sh"  # free_port, random_key, auth_json, …

# suite_secrets: what Kubernetes would mount for the whole suite, in $work: field-keys, the shared
# identity key (exported as JIBAN_IDENTITY_KEY_FILE) and the gateway's auth.json (one HS256 key).
suite_secrets() {
  field_keys "$work/field-keys"
  random_key >"$work/identity-key"
  export JIBAN_IDENTITY_KEY_FILE="$work/identity-key"
  auth_json jiban-smoke s1 >"$work/auth.json"
}

# field_keys FILE: development keys for sealed personal data (JIBAN_FIELD_KEYS_FILE).
field_keys() { field_keys_value >"$1"; }

# service_databases NAME SERVICE...: on the MariaDB of JIBAN_TEST_MYSQL_DSN (tests/run.sh starts
# it; without it exit 77, 1 in CI), one fresh database per service, dropped on exit. Sets db_host,
# db_port and prefix; `dsn SERVICE` names a service's, `sql SERVICE QUERY` runs a query in it.
service_databases() {
  if [ -z "${JIBAN_TEST_MYSQL_DSN:-}" ]; then
    echo "smoke: JIBAN_TEST_MYSQL_DSN is not set (tests/run.sh starts MariaDB)"
    [ "${CI:-}" = "true" ] && exit 1 || exit 77
  fi
  local hostport=${JIBAN_TEST_MYSQL_DSN#mysql://*@} s
  hostport=${hostport%%/*}
  db_host=${hostport%:*}
  db_port=${hostport##*:}
  prefix="$1_$$_$RANDOM"
  shift
  databases=("$@")
  for s in "${databases[@]}"; do
    mysql -h "$db_host" -P "$db_port" -u root -e "CREATE DATABASE ${prefix}_$s" \
      || fail "cannot create database ${prefix}_$s"
  done
  on_exit='for s in "${databases[@]}"; do mysql -h "$db_host" -P "$db_port" -u root -e "DROP DATABASE IF EXISTS ${prefix}_$s" || true; done'
}
dsn() { echo "mysql://root@$db_host:$db_port/${prefix}_$1"; }
sql() { mysql -N -h "$db_host" -P "$db_port" -u root "${prefix}_$1" -e "$2"; }

