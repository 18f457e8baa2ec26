#!/usr/bin/env bash
# Runs one contract suite (a cmocka binary) against one backend, starting the engine it needs on
# loopback and stopping it at the end, even on failure. Usage: run_contract.sh BINARY BACKEND
set -euo pipefail
bin=$1 backend=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../infra/local-stack/services.sh"
trap stop_services EXIT
scratch="$CF_SERVICES_DIR/scratch"
mkdir -p "$scratch"
echo "contract: $(basename "$bin") on $backend"
case "$backend" in
  sqlite) export CF_CONTRACT_STORE_URL="sqlite:$scratch/%s.db" ;;
  postgres) start_postgres; export CF_CONTRACT_STORE_URL="$CF_PG_URL?schema=%s" ;;
  memory) export CF_CONTRACT_BUS_URL="memory:?ack_timeout_ms=400&ns=%s" ;;
  redis) start_redis; export CF_CONTRACT_BUS_SHARED=1; export CF_CONTRACT_BUS_URL="$CF_REDIS_URL/0?prefix=%s&ack_timeout_ms=400" ;;
  kafka) start_kafka; export CF_CONTRACT_BUS_SHARED=1
         export CF_CONTRACT_BUS_URL="$CF_KAFKA_URL?prefix=%s&ack_timeout_ms=400&session_timeout_ms=4000" ;;
  nats) start_nats; export CF_CONTRACT_BUS_SHARED=1; export CF_CONTRACT_BUS_URL="$CF_NATS_URL?prefix=%s&ack_timeout_ms=400" ;;
  local) export CF_CONTRACT_STORAGE_URL="local:$scratch/%s" ;;
  file) export CF_CONTRACT_STORAGE_URL="file://$scratch/%s" ;;
  s3) start_s3
      # Each test writes under its own key prefix; 5 MiB parts make the large-object test multipart.
      export CF_CONTRACT_STORAGE_URL="$CF_S3_URL&prefix=%s&part_size=5242880&cache=$scratch/cache" ;;
  *) echo "run_contract.sh: unknown backend $backend" >&2; exit 2 ;;
esac
"$bin"
