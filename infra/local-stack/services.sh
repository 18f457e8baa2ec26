# services.sh — starts the engines of the distributed shape on loopback, for tests, benchmarks
# and the local stack. Source it, then call start_postgres / start_redis / start_nats / start_s3;
# each sets a URL variable (CF_PG_URL, CF_REDIS_URL, CF_NATS_URL, CF_S3_URL) and records its
# process so that stop_services (install it with `trap stop_services EXIT`) stops them all.
# Data lives under $CF_SERVICES_DIR (a temp dir by default), removed by stop_services.
# PostgreSQL refuses to run as root: as root, it runs as the `postgres` user.

CF_SERVICES_DIR=${CF_SERVICES_DIR:-$(mktemp -d /tmp/cf-services.XXXXXX)}
CF_SERVICES_KEEP=${CF_SERVICES_KEEP:-0}
CF_LOCAL_STACK_DIR=${CF_LOCAL_STACK_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
CF_SERVICE_PIDS=()
CF_PG_DATA=""

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until "$@" succeeds, at most $1 tenths of a second.
wait_until() {
  local tries=$1; shift
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "services: gave up waiting for: $*" >&2
  return 1
}

pg_bin() { echo "$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)/$1"; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local port; port=$(free_port)
  CF_PG_DATA="$CF_SERVICES_DIR/pg"
  mkdir -p "$CF_PG_DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres "$CF_SERVICES_DIR" "$CF_PG_DATA"
  chmod 700 "$CF_PG_DATA"
  as_pg "$(pg_bin initdb)" -D "$CF_PG_DATA" -U cf -A trust --no-sync -E UTF8 >"$CF_SERVICES_DIR/pg-init.log" 2>&1 \
    || { cat "$CF_SERVICES_DIR/pg-init.log" >&2; return 1; }
  as_pg "$(pg_bin pg_ctl)" -D "$CF_PG_DATA" -l "$CF_SERVICES_DIR/pg.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $CF_PG_DATA -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$CF_SERVICES_DIR/pg.log" >&2; return 1; }
  as_pg "$(pg_bin createdb)" -h 127.0.0.1 -p "$port" -U cf clipforge
  CF_PG_URL="postgres://cf@127.0.0.1:$port/clipforge"
  export CF_PG_URL
}

start_redis() {
  local port; port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$CF_SERVICES_DIR" --logfile "$CF_SERVICES_DIR/redis.log" &
  CF_SERVICE_PIDS+=($!)
  wait_until 100 redis-cli -h 127.0.0.1 -p "$port" ping || return 1
  CF_REDIS_URL="redis://127.0.0.1:$port"
  export CF_REDIS_URL
}

start_nats() {
  local port; port=$(free_port)
  mkdir -p "$CF_SERVICES_DIR/nats"
  nats-server -a 127.0.0.1 -p "$port" -js -sd "$CF_SERVICES_DIR/nats" \
    -l "$CF_SERVICES_DIR/nats.log" &
  CF_SERVICE_PIDS+=($!)
  wait_until 100 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" || return 1
  CF_NATS_URL="nats://127.0.0.1:$port"
  export CF_NATS_URL
}

# A 3-broker Kafka cluster: librdkafka's mock cluster in its own process (cf_kafka_mock, built
# with the tests; $CF_KAFKA_MOCK names it). Its stdin is a fifo held open here: `kafka_broker down 2`
# and `kafka_broker up 2` take a broker down and back; closing the fifo stops the cluster.
start_kafka() {
  local mock=${CF_KAFKA_MOCK:-cf_kafka_mock}
  CF_KAFKA_CONTROL="$CF_SERVICES_DIR/kafka.in"
  mkfifo "$CF_KAFKA_CONTROL"
  "$mock" 3 <"$CF_KAFKA_CONTROL" >"$CF_SERVICES_DIR/kafka.out" 2>"$CF_SERVICES_DIR/kafka.log" &
  CF_SERVICE_PIDS+=($!)
  exec {CF_KAFKA_FD}>"$CF_KAFKA_CONTROL"
  wait_until 100 test -s "$CF_SERVICES_DIR/kafka.out" || { cat "$CF_SERVICES_DIR/kafka.log" >&2; return 1; }
  CF_KAFKA_URL="kafka://$(head -1 "$CF_SERVICES_DIR/kafka.out")"
  export CF_KAFKA_URL
}

kafka_broker() { echo "$1 $2" >&"$CF_KAFKA_FD"; }

# The S3-protocol server (infra/local-stack/s3-server.js; `npm ci` there first), bucket "clipforge".
start_s3() {
  local port; port=$(free_port)
  if [ ! -d "$CF_LOCAL_STACK_DIR/node_modules/@20minutes/s3rver" ]; then
    (cd "$CF_LOCAL_STACK_DIR" && npm ci --no-audit --no-fund --silent) || return 1
  fi
  mkdir -p "$CF_SERVICES_DIR/s3"
  node "$CF_LOCAL_STACK_DIR/s3-server.js" "$CF_SERVICES_DIR/s3" "$port" clipforge \
    >"$CF_SERVICES_DIR/s3.log" 2>&1 &
  CF_SERVICE_PIDS+=($!)
  wait_until 150 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" || { cat "$CF_SERVICES_DIR/s3.log" >&2; return 1; }
  CF_S3_URL="s3://clipforge?endpoint=http://127.0.0.1:$port&region=us-east-1"
  export CF_S3_URL CLIPFORGE_S3_ACCESS_KEY=S3RVER CLIPFORGE_S3_SECRET_KEY=S3RVER
}

stop_services() {
  local pid
  if [ -n "${CF_KAFKA_FD:-}" ]; then exec {CF_KAFKA_FD}>&-; CF_KAFKA_FD=""; fi # the mock cluster's stdin
  for pid in "${CF_SERVICE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${CF_SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  CF_SERVICE_PIDS=()
  if [ -n "$CF_PG_DATA" ] && [ -f "$CF_PG_DATA/postmaster.pid" ]; then
    as_pg "$(pg_bin pg_ctl)" -D "$CF_PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ "$CF_SERVICES_KEEP" = 1 ] || rm -rf "$CF_SERVICES_DIR"
}
