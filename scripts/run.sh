#!/usr/bin/env bash
# `make run`: embedded mode. One Python process hosts the six subgraphs and the REST shim
# (SQLite file, in-memory pub/sub, SQL graph adapter); Hive Gateway serves the supergraph.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-sqlite+aiosqlite:///.run/crmgraph.db}"
export REDIS_URL="${REDIS_URL:-memory://}"
# Requests without a token act as an admin of the demo tenant: a local convenience only.
export ANONYMOUS_TENANT="${ANONYMOUS_TENANT-demo}"
# Accept HS256 tokens signed with the development key (what `crmgraph token` signs with).
export JWT_SECRET="${JWT_SECRET:-crmgraph-local-development-key-not-for-production}"
# The router's secret, which the subgraphs require on every request: a fresh one each run.
export CRMGRAPH_ROUTER_SECRET="${CRMGRAPH_ROUTER_SECRET:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}"
mkdir -p .run

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
(cd router-config && exec node_modules/.bin/hive-gateway supergraph) > .run/router.log 2>&1 &
pids+=($!)

wait_for() {  # name url
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$2"; then return 0; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "crmgraph: $1 exited; see .run/*.log" >&2; tail -20 .run/subgraphs.log .run/router.log >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "crmgraph: $1 did not answer at $2 within 60 s; see .run/*.log" >&2
  exit 1
}
wait_for "REST shim" http://127.0.0.1:8000/health
wait_for "router" http://127.0.0.1:4000/healthcheck

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
