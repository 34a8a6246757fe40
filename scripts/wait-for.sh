#!/usr/bin/env bash
# Wait, quietly, until a process answers on HTTP:  scripts/wait-for.sh NAME URL TIMEOUT [PID...]
#
# Prints one line ("crmgraph: waiting for NAME ...") if NAME is not up at the first look, and
# nothing per attempt. Exits 0 when URL answers with a 2xx, 1 when a given PID exits first
# or TIMEOUT seconds pass (with one line saying which).
set -uo pipefail
name=$1 url=$2 timeout=$3
shift 3
deadline=$((SECONDS + timeout))
said=0
while true; do
  if curl -fs -o /dev/null --max-time 2 "$url" 2>/dev/null; then
    exit 0
  fi
  for pid in "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "crmgraph: $name exited before it answered at $url" >&2
      exit 1
    fi
  done
  if ((SECONDS >= deadline)); then
    echo "crmgraph: $name did not answer at $url within $timeout s" >&2
    exit 1
  fi
  if ((said == 0)); then
    echo "crmgraph: waiting for $name ($url) ..."
    said=1
  fi
  sleep 0.25
done
