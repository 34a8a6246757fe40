#!/usr/bin/env bash
# `make run`: embedded mode. One Python process hosts the six subgraphs and the REST shim
# (SQLite file, in-memory pub/sub, SQL graph adapter); Hive Gateway serves the supergraph.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-sqlite+aiosqlite:///.run/crmgraph.db}"
export REDIS_URL="${REDIS_URL:-memory://}"
# Requests without a token act as an admin of the demo tenant: a local convenience only.
# crmgraph refuses it unless HOST is loopback; the router must stay on loopback too.
export ANONYMOUS_TENANT="${ANONYMOUS_TENANT-demo}"
case "${CRMGRAPH_GATEWAY_HOST:-127.0.0.1}" in
  127.*|::1|localhost) ;;
  *) if [ -n "$ANONYMOUS_TENANT" ]; then
       echo "crmgraph: ANONYMOUS_TENANT needs the router on loopback, not CRMGRAPH_GATEWAY_HOST=$CRMGRAPH_GATEWAY_HOST; set ANONYMOUS_TENANT= to require tokens" >&2
       exit 2
     fi ;;
esac
# Accept HS256 tokens signed with the development key (what `crmgraph token` signs with).
export JWT_SECRET="${JWT_SECRET:-crmgraph-local-development-key-not-for-production}"
# The router's secret: the subgraphs require it on every request, and the REST shim answers
# the router's questions about callers (rate limits) only with it. A fresh one each run.
export CRMGRAPH_ROUTER_SECRET="${CRMGRAPH_ROUTER_SECRET:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}"
mkdir -p .run
if [ "${CRMGRAPH_ROUTER:-hive-gateway}" = hive-router ]; then
  hive_router=$(.venv/bin/python -m crmgraph.native_router --binary)
  [ -x "$hive_router" ] || { echo "crmgraph: $hive_router is missing: run make hive-router" >&2; exit 2; }
fi

.venv/bin/crmgraph migrate
.venv/bin/crmgraph seed

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

.venv/bin/crmgraph serve --all > .run/subgraphs.log 2>&1 &
pids+=($!)
# CRMGRAPH_ROUTER=hive-router: the native router (built by `make hive-router`, not by `make run`).
router_health=http://127.0.0.1:${CRMGRAPH_GATEWAY_PORT:-4000}/healthcheck
case "${CRMGRAPH_ROUTER:-hive-gateway}" in
  hive-gateway)
    (cd router-config && exec node_modules/.bin/hive-gateway supergraph) > .run/router.log 2>&1 & ;;
  hive-router)
    .venv/bin/python -m crmgraph.native_router --supergraph schema/supergraph.graphql \
        --out .run/hive-router.json
    ROUTER_CONFIG_FILE_PATH=.run/hive-router.json "$hive_router" > .run/router.log 2>&1 &
    router_health=${router_health%/healthcheck}/health ;;
  *) echo "crmgraph: CRMGRAPH_ROUTER must be hive-gateway or hive-router" >&2; exit 2 ;;
esac
pids+=($!)

# One line per process that is not up yet, then the banner (scripts/wait-for.sh is quiet).
wait_for() {  # name url
  if ! scripts/wait-for.sh "$1" "$2" 60 "${pids[@]}"; then
    tail -20 .run/subgraphs.log .run/router.log >&2
    exit 1
  fi
}
wait_for "the subgraphs and REST shim" http://127.0.0.1:8000/health
wait_for "the router" "$router_health"

token=$(.venv/bin/crmgraph token --tenant demo)
cat <<MSG

crmgraph is running in embedded mode (logs in .run/).
  GraphiQL   http://localhost:4000/graphql
  REST shim  http://localhost:8000/health   http://localhost:8000/openapi.json
  Try        { deals(first: 5) { edges { node { title stage contact { fullName account { name } } } } } }
  Token      (optional here; required without ANONYMOUS_TENANT) Authorization: Bearer $token
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "crmgraph: a process exited; see .run/subgraphs.log and .run/router.log" >&2
exit 1
