#!/usr/bin/env bash
# A tenant's job list on both store backends (cf_store_bench, bench/store_bench.c): STORE_BENCH_JOBS
# jobs (100,000) of STORE_BENCH_TENANTS tenants (100), the first 1 % a tenant's whose jobs are old;
# each list, best of STORE_BENCH_ROUNDS runs (20), by the statement the store runs and by the one
# it ran before, taken in turn on the same data, with the rows each read and its plan; on SQLite
# also the creations with and without jobs_by_tenant. PostgreSQL is started on loopback for the
# run. Usage: bench/store_bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
tool="$build/bench/cf_store_bench"
[ -x "$tool" ] || { echo "missing $tool (build first)" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/infra/local-stack/services.sh"
trap stop_services EXIT
start_postgres
args=("${STORE_BENCH_JOBS:-100000}" "${STORE_BENCH_TENANTS:-100}" "${STORE_BENCH_ROUNDS:-20}")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$tool" "sqlite:$CF_SERVICES_DIR/store-bench.db" "${args[@]}"
echo
"$tool" "$CF_PG_URL" "${args[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
