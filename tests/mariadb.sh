#!/usr/bin/env bash
# A throwaway MariaDB on 127.0.0.1 for tests: `tests/mariadb.sh start DIR` prints the admin DSN
# (a root login without password, only on loopback); `tests/mariadb.sh stop DIR` stops it and
# removes DIR. Nothing outside DIR is touched; the system's own MariaDB (if any) is not used.
set -euo pipefail
cmd=${1:?usage: mariadb.sh start|stop DIR}
dir=${2:?usage: mariadb.sh start|stop DIR}

free_port() {
  # Bind port 0 and print what the kernel picked (the tiny race before mariadbd binds is retried).
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "$cmd" in
start)
  mkdir -p "$dir"
  user=$(id -un)
  mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    mariadbd --no-defaults --user="$user" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
        --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
        --log-error="$dir/error.log" --skip-name-resolve --innodb-flush-log-at-trx-commit=1 \
        --innodb-buffer-pool-size=256M --max-connections=500 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        </dev/null >"$dir/mariadbd.out" 2>&1 &
    echo $! >"$dir/launcher.pid"
    for _ in $(seq 1 200); do
      if mariadb-admin --no-defaults -h127.0.0.1 -P"$port" -uroot ping >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "mysql://root@127.0.0.1:$port/mysql"
        exit 0
      fi
      kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null || break
      sleep 0.1
    done
    kill "$(cat "$dir/launcher.pid")" 2>/dev/null || true
  done
  echo "mariadb.sh: MariaDB did not start; see $dir/error.log" >&2
  tail -20 "$dir/error.log" >&2 || true
  exit 1
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
*) echo "usage: mariadb.sh start|stop DIR" >&2; exit 2 ;;
esac
