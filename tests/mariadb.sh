#!/usr/bin/env bash
# A throwaway MariaDB on 127.0.0.1 for tests: `tests/mariadb.sh start DIR` prints the admin DSN
# (a root login without password, only on loopback); `tests/mariadb.sh stop DIR` stops it and
# removes DIR; `kill9 DIR` and `restart DIR` crash it and bring it back on the same data and port. Nothing outside DIR is touched; the system's own MariaDB (if any) is not used.
set -euo pipefail
cmd=${1:?usage: mariadb.sh start|stop|kill9|restart DIR}
dir=${2:?usage: mariadb.sh start|stop|kill9|restart DIR}

source "$(dirname "$0")/dev_secrets.sh"  # free_port (the race before mariadbd binds is retried)

# Starts mariadbd on DIR's data and port $1; prints the admin DSN once it answers (0), or fails (1).
launch() {
  local port=$1 user
  user=$(id -un)
  mariadbd --no-defaults --user="$user" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
      --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
      --log-error="$dir/error.log" --skip-name-resolve --innodb-flush-log-at-trx-commit=1 \
      --innodb-buffer-pool-size=256M --max-connections=500 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      </dev/null >"$dir/mariadbd.out" 2>&1 &
  echo $! >"$dir/launcher.pid"
  for _ in $(seq 1 300); do  # polls the server's answer, up to 30 s (crash recovery included)
    if mariadb-admin --no-defaults -h127.0.0.1 -P"$port" -uroot ping >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      echo "mysql://root@127.0.0.1:$port/mysql"
      return 0
    fi
    kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null || break
    sleep 0.1
  done
  kill "$(cat "$dir/launcher.pid")" 2>/dev/null || true
  return 1
}

case "$cmd" in
start)
  mkdir -p "$dir"
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1
  for attempt in 1 2 3 4 5; do
    launch "$(free_port)" && exit 0
  done
  echo "mariadb.sh: MariaDB did not start; see $dir/error.log" >&2
  tail -20 "$dir/error.log" >&2 || true
  exit 1
  ;;
kill9)  # the fault tests' crash: SIGKILL, no shutdown
  kill -9 "$(cat "$dir/launcher.pid")"
  while kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null; do sleep 0.05; done
  ;;
restart)  # after kill9: the same data and port (InnoDB recovers what was committed)
  launch "$(cat "$dir/port")" >/dev/null || {
    echo "mariadb.sh: MariaDB did not restart; see $dir/error.log" >&2
    tail -20 "$dir/error.log" >&2 || true
    exit 1
  }
  ;;
stop)
  if [ -f "$dir/port" ]; then
    mariadb-admin --no-defaults -h127.0.0.1 -P"$(cat "$dir/port")" -uroot shutdown >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/launcher.pid" ]; then
    pid=$(cat "$dir/launcher.pid")
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*) echo "usage: mariadb.sh start|stop|kill9|restart DIR" >&2; exit 2 ;;
esac
