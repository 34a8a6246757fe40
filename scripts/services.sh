#!/usr/bin/env bash
# Start / stop REAL local PostgreSQL 15, Redis and Neo4j Community for tests.
#
#   scripts/services.sh start    install what is missing, start all three, wait until ready
#   scripts/services.sh stop     stop all three (stopping stopped services is fine)
#   scripts/services.sh status   print up/down per service (exit 3 if any local one is down)
#   scripts/services.sh env      print `export ...` lines:  eval "$(scripts/services.sh env)"
#
# All state lives under $CRMGRAPH_RUN_DIR (default <repo>/.run, git-ignored via
# .run/.gitignore): data directories, configs, logs, pid files and the download
# cache.  Nothing uses systemd or the Debian "main" PostgreSQL cluster, so this
# works in containers/CI where no init system runs.  Runs as root (CI) or as a
# normal user (then packages must already be installed or `sudo -n` must work).
#
# Environment overrides (defaults in brackets):
#   CRMGRAPH_RUN_DIR [<repo>/.run]      CRMGRAPH_PG_PORT [55432]
#   CRMGRAPH_REDIS_PORT [56379]         CRMGRAPH_NEO4J_BOLT_PORT [57687]
#   CRMGRAPH_NEO4J_HTTP_PORT [57474]    CRMGRAPH_NEO4J_VERSION [5.26.30]
#   CRMGRAPH_NEO4J_JAVA_HOME [first Java 17/21 found]
#   CRMGRAPH_START_TIMEOUT [180]  seconds to wait for each service to become ready
# If DATABASE_URL / REDIS_URL / NEO4J_URI are already set (and differ from the
# local URLs this script would print), that service is treated as external:
# `start` skips it and `status`/`env` report the external URL (`stop` still
# stops a local server of ours if one happens to run).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd -P)
RUN_DIR=$(realpath -m "${CRMGRAPH_RUN_DIR:-$REPO_ROOT/.run}")
CACHE_DIR=$RUN_DIR/cache
START_TIMEOUT=${CRMGRAPH_START_TIMEOUT:-180}

PG_PORT=${CRMGRAPH_PG_PORT:-55432}
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=$RUN_DIR/postgres
PG_DATA=$PG_DIR/data
PG_LOG=$PG_DIR/postgres.log
PG_OS_USER=postgres

REDIS_PORT=${CRMGRAPH_REDIS_PORT:-56379}
REDIS_DIR=$RUN_DIR/redis
REDIS_CONF=$REDIS_DIR/redis.conf
REDIS_PID=$REDIS_DIR/redis.pid
REDIS_LOG=$REDIS_DIR/redis.log

NEO4J_VERSION=${CRMGRAPH_NEO4J_VERSION:-5.26.30}
NEO4J_BOLT_PORT=${CRMGRAPH_NEO4J_BOLT_PORT:-57687}
NEO4J_HTTP_PORT=${CRMGRAPH_NEO4J_HTTP_PORT:-57474}
NEO4J_HOME=$RUN_DIR/neo4j
NEO4J_LOG=$NEO4J_HOME/logs/neo4j.log
NEO4J_LOCAL_USER=neo4j
NEO4J_LOCAL_PASSWORD=crmgraph-test

# The URLs the test-suite gets for the local servers (see `env`).
LOCAL_DATABASE_URL=postgresql+asyncpg://crmgraph:crmgraph@127.0.0.1:$PG_PORT/crmgraph
LOCAL_TEST_DATABASE_URL=postgresql+asyncpg://crmgraph:crmgraph@127.0.0.1:$PG_PORT/crmgraph_test
LOCAL_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
LOCAL_NEO4J_URI=bolt://127.0.0.1:$NEO4J_BOLT_PORT

# ---------------------------------------------------------------- helpers ---

# Progress chatter goes to stderr so stdout only carries the per-service lines.
note() { echo "services.sh: $*" >&2; }

# One result line per service, e.g. "postgres  ready     postgresql://...".
say() {
    if [[ -n ${3:-} ]]; then printf '%-8s  %-8s  %s\n' "$1" "$2" "$3"; else printf '%-8s  %s\n' "$1" "$2"; fi
}

# Print the failure line + the last 20 lines of the log (and of any extra
# logs given), then exit non-zero.
fail() { # service logfile message [extra_logfile...]
    local service=$1 log=$2 msg=$3 f
    printf '%-8s  %-8s  %s (log: %s)\n' "$service" "FAILED" "$msg" "$log" >&2
    for f in "$log" "${@:4}"; do
        [[ -f $f ]] || continue
        echo "----- last 20 lines of $f -----" >&2
        tail -n 20 "$f" >&2
    done
    echo "-----" >&2
    # Do not leave a background `bin/neo4j start|stop` racing with whatever
    # the caller does next (e.g. a cleanup `stop`).
    local pid
    for pid in ${NEO4J_LAUNCH_PID:-} ${NEO4J_STOP_PID:-}; do wait "$pid" 2>/dev/null || true; done
    exit 1
}

mask_url() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

is_root() { [[ $EUID -eq 0 ]]; }

# A service is "external" when its URL variable is set to something other than
# what this script hands out.  Comparing against the local URL matters: after
# `eval "$(services.sh env)"` the variables point at OUR servers, and a later
# `start` in that shell must still manage them.
is_external() { # value local_value
    [[ -n $1 && $1 != "$2" ]]
}
pg_external() { is_external "${DATABASE_URL:-}" "$LOCAL_DATABASE_URL"; }
redis_external() { is_external "${REDIS_URL:-}" "$LOCAL_REDIS_URL"; }
neo4j_external() { is_external "${NEO4J_URI:-}" "$LOCAL_NEO4J_URI"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Fail fast (instead of a cryptic bind error after a timeout) when another
# process already listens on a port we are about to use.
require_free_port() { # service port logfile
    if port_open "$2"; then
        fail "$1" "$3" "port 127.0.0.1:$2 is already in use by another process (override with CRMGRAPH_*_PORT)"
    fi
}

# Poll "$@" once a second until it succeeds or START_TIMEOUT expires.
wait_until() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

ensure_run_dir() {
    mkdir -p "$RUN_DIR" "$CACHE_DIR"
    # Keep everything under .run out of git even if the repo's .gitignore
    # does not list it.
    [[ -f $RUN_DIR/.gitignore ]] || echo '*' >"$RUN_DIR/.gitignore"
}

# Install Debian packages that are missing; apt-get update only if needed.
install_packages() { # pkg...
    (($#)) || return 0
    local apt=(apt-get)
    if ! is_root; then
        sudo -n true 2>/dev/null || {
            note "missing packages: $* -- install them (as root: apt-get install -y $*) or run this script as root"
            exit 1
        }
        apt=(sudo -n apt-get)
    fi
    local log=$RUN_DIR/apt.log created_policy=
    note "installing Debian packages: $* (one-time; log: $log)"
    # Debian maintainer scripts would start the system-wide redis/postgres
    # services (port 6379 / cluster "main" on 5432).  We never use those, so
    # forbid service starts during the install (Docker's policy-rc.d trick).
    if is_root && [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" -o DPkg::Lock::Timeout=300 update -q &&
            DEBIAN_FRONTEND=noninteractive "${apt[@]}" -o DPkg::Lock::Timeout=300 \
                install -y -q --no-install-recommends "$@"
    } </dev/null >"$log" 2>&1 || rc=$?
    [[ -z $created_policy ]] || rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || fail "apt-get" "$log" "could not install: $*"
}

# ------------------------------------------------------------- postgres ---
# Debian's postgresql-15 binaries, but our own cluster in .run/postgres/data,
# started with pg_ctl (no systemd, no pg_ctlcluster).  initdb/postgres refuse
# to run as root, so as root everything server-side runs as the `postgres`
# OS user created by the Debian package.

pg_sock_dir() {
    # Unix socket paths are limited to ~107 bytes; deep checkouts would exceed
    # that, so fall back to a per-port directory in /tmp.
    local d=$PG_DIR/sock
    if ((${#d} + 16 > 100)); then d=/tmp/crmgraph-pg-$PG_PORT; fi
    echo "$d"
}

as_pg() { # run a command as the postgres OS user (or as ourselves when not root)
    if is_root; then
        # cd / : the postgres user may not be allowed into root's cwd.
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        "$@"
    fi
}

pg_packages() { [[ -x $PG_BIN/pg_ctl && -x $PG_BIN/initdb && -x $PG_BIN/psql ]] || echo postgresql-15; }

# The postgres server process must be able to traverse every parent directory
# of its data dir.  /work/main/.run is fine with the usual 755 dirs, but CI
# checkouts often live below a 700 directory such as /root.  We add only the
# "search" bit for others (o+x: enter, not list or read) on the ancestors that
# block the postgres user.  A symlink would not help (the kernel still checks
# every directory on the resolved path), and moving data out of .run would
# break the "everything under .run" contract.
pg_ensure_traversable() {
    is_root || return 0
    local d=$PG_DIR parents=()
    while [[ $d != / ]]; do
        d=$(dirname "$d")
        parents=("$d" "${parents[@]}")
    done
    for d in "${parents[@]}"; do
        if ! runuser -u "$PG_OS_USER" -- test -x "$d" 2>/dev/null; then
            note "chmod o+x $d (so the postgres user can reach $PG_DIR)"
            chmod o+x "$d"
        fi
    done
}

pg_running() { [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }

pg_init() {
    local sock
    sock=$(pg_sock_dir)
    mkdir -p "$PG_DIR" "$sock"
    pg_ensure_traversable
    if is_root; then chown "$PG_OS_USER:" "$PG_DIR" "$sock"; fi
    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
        note "initdb $PG_DATA"
        # local (unix socket) = trust for the admin steps below; TCP = password.
        as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
            fail postgres "$PG_DIR/initdb.log" "initdb failed"
        echo "include_if_exists = 'crmgraph.conf'" >>"$PG_DATA/postgresql.conf"
    fi
    # Rewritten on every start so port/path overrides take effect.  The
    # durability knobs are off: test data is disposable, speed matters.
    cat >"$PG_DATA/crmgraph.conf" <<EOF
# generated by scripts/services.sh -- edits are overwritten on start
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if is_root; then chown "$PG_OS_USER:" "$PG_DATA/crmgraph.conf"; fi
}

# Role + databases; idempotent, so it also repairs a half-provisioned cluster.
pg_provision() {
    as_pg "$PG_BIN/psql" -h "$(pg_sock_dir)" -p "$PG_PORT" -U postgres -d postgres \
        -X -q -v ON_ERROR_STOP=1 >>"$PG_LOG" 2>&1 <<'SQL' || return 1
SELECT 'CREATE ROLE crmgraph LOGIN SUPERUSER PASSWORD ''crmgraph'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmgraph')\gexec
SELECT 'CREATE DATABASE crmgraph OWNER crmgraph'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'crmgraph')\gexec
SELECT 'CREATE DATABASE crmgraph_test OWNER crmgraph'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'crmgraph_test')\gexec
SQL
    # Prove the URL we hand out works: TCP + password as crmgraph.
    PGPASSWORD=crmgraph PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U crmgraph \
        -d crmgraph_test -tAc 'SELECT 1' >/dev/null 2>>"$PG_LOG"
}

pg_start() {
    local url="postgresql://crmgraph:***@127.0.0.1:$PG_PORT/crmgraph"
    if pg_external; then say postgres external "$(mask_url "$DATABASE_URL")"; return; fi
    pg_init
    if ! pg_running; then
        require_free_port postgres "$PG_PORT" "$PG_LOG"
        as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" -s \
            >/dev/null 2>&1 || fail postgres "$PG_LOG" "pg_ctl start failed"
    fi
    wait_until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 1 ||
        fail postgres "$PG_LOG" "not accepting connections on 127.0.0.1:$PG_PORT"
    pg_provision || fail postgres "$PG_LOG" "could not create/verify role and databases"
    say postgres ready "$url"
}

pg_stop() {
    if pg_running; then
        as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s ||
            fail postgres "$PG_LOG" "pg_ctl stop failed"
        say postgres stopped ""
    else
        say postgres down ""
    fi
}

pg_status() {
    if pg_external; then say postgres external "$(mask_url "$DATABASE_URL")"; return 0; fi
    if [[ -x $PG_BIN/pg_isready ]] && pg_running && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; then
        say postgres up "postgresql://crmgraph:***@127.0.0.1:$PG_PORT/crmgraph"
    else
        say postgres down ""; return 1
    fi
}

# ---------------------------------------------------------------- redis ---
# Debian's redis-server with our own config; daemonized, no persistence.

redis_packages() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null || echo redis-server; }

# `timeout`: redis-cli would block forever on a port held by a non-Redis process.
redis_ping() { [[ $(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

redis_pid_alive() { [[ -f $REDIS_PID ]] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null; }

redis_write_conf() {
    mkdir -p "$REDIS_DIR/data"
    cat >"$REDIS_CONF" <<EOF
# generated by scripts/services.sh -- edits are overwritten on start
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_PID
logfile $REDIS_LOG
dir $REDIS_DIR/data
# tests need no durability: no RDB snapshots, no AOF
save ""
appendonly no
EOF
}

redis_start() {
    local url="redis://127.0.0.1:$REDIS_PORT/0"
    if redis_external; then say redis external "$(mask_url "$REDIS_URL")"; return; fi
    if ! redis_pid_alive; then
        require_free_port redis "$REDIS_PORT" "$REDIS_LOG"
        redis_write_conf
        # Config errors are printed on stderr before the logfile is opened.
        redis-server "$REDIS_CONF" >>"$REDIS_LOG" 2>&1 || fail redis "$REDIS_LOG" "redis-server failed to start"
    fi
    wait_until redis_ping || fail redis "$REDIS_LOG" "no PONG on 127.0.0.1:$REDIS_PORT"
    say redis ready "$url"
}

redis_stop() {
    if redis_pid_alive; then
        local pid
        pid=$(cat "$REDIS_PID")
        timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        local i
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
        rm -f "$REDIS_PID"
        say redis stopped ""
    else
        say redis down ""
    fi
}

redis_status() {
    if redis_external; then say redis external "$(mask_url "$REDIS_URL")"; return 0; fi
    if command -v redis-cli >/dev/null && redis_pid_alive && redis_ping; then
        say redis up "redis://127.0.0.1:$REDIS_PORT/0"
    else
        say redis down ""; return 1
    fi
}

# ---------------------------------------------------------------- neo4j ---
# Neo4j Community server assembled from Maven Central (the official tarball is
# not published there; see scripts/neo4j/pom.xml).  $NEO4J_HOME has the usual
# distribution layout (lib/ conf/ data/ logs/ run/ ...); scripts/neo4j/bin/
# provides bin/neo4j and bin/neo4j-admin.

java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}'; }

# Neo4j 5.26 supports Java 17 and 21 only (Temurin 25 is NOT supported).
neo4j_java_home() {
    if [[ -n ${NEO4J_JAVA:-} ]]; then echo "$NEO4J_JAVA"; return 0; fi
    if [[ -n ${CRMGRAPH_NEO4J_JAVA_HOME:-} ]]; then
        [[ -x $CRMGRAPH_NEO4J_JAVA_HOME/bin/java ]] || return 1
        echo "$CRMGRAPH_NEO4J_JAVA_HOME"; return 0
    fi
    local c
    for c in ${JAVA_HOME:-} /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-* /usr/lib/jvm/*; do
        [[ -x $c/bin/java ]] || continue
        case $(java_major "$c") in 17 | 21) echo "$c"; return 0 ;; esac
    done
    return 1
}

neo4j_assembled() { [[ -f $NEO4J_HOME/lib/.crmgraph-version && $(<"$NEO4J_HOME/lib/.crmgraph-version") == "$NEO4J_VERSION" ]]; }

neo4j_packages() {
    [[ -n ${CRMGRAPH_NEO4J_JAVA_HOME:-} ]] || neo4j_java_home >/dev/null || echo openjdk-17-jre-headless
    command -v curl >/dev/null || echo curl
    neo4j_assembled || command -v mvn >/dev/null || echo maven
}

# bin/neo4j / bin/neo4j-admin with the right JAVA_HOME.
# `neo4j_cmd --detach ...` runs it in a session of its own (setsid; --wait keeps $! the
# launcher): the server it forks then outlives the shell or tool that ran `make services`,
# which may signal its whole process group on exit, as pg_ctl's and redis-server's do.
neo4j_cmd() {
    local detach=()
    if [[ $1 == --detach ]]; then detach=(setsid --wait); shift; fi
    "${detach[@]}" env JAVA_HOME="$NEO4J_JAVA" NEO4J_HOME="$NEO4J_HOME" NEO4J_CONF="$NEO4J_HOME/conf" \
        "$SCRIPT_DIR/neo4j/bin/$1" "${@:2}"
}

# Resolve org.neo4j:neo4j + runtime deps into $NEO4J_HOME/lib.  The Maven
# repository lives in .run/cache/m2 and is tried offline first, so re-assembling
# (new checkout of lib/, wiped .run/neo4j) never touches the network again.
neo4j_assemble() {
    neo4j_assembled && return 0
    local log=$RUN_DIR/neo4j-assemble.log
    local mvn_args=(-B -ntp -Dstyle.color=never -f "$SCRIPT_DIR/neo4j/pom.xml"
        -Dmaven.repo.local="$CACHE_DIR/m2" -Dneo4j.version="$NEO4J_VERSION"
        dependency:copy-dependencies -DincludeScope=runtime
        -DoutputDirectory="$NEO4J_HOME/lib.tmp")
    mkdir -p "$NEO4J_HOME"
    rm -rf "$NEO4J_HOME/lib.tmp"
    if ! JAVA_HOME=$NEO4J_JAVA mvn -o "${mvn_args[@]}" </dev/null >"$log" 2>&1; then
        note "downloading Neo4j $NEO4J_VERSION from Maven Central (one-time, ~130 MB; log: $log)"
        rm -rf "$NEO4J_HOME/lib.tmp"
        JAVA_HOME=$NEO4J_JAVA mvn "${mvn_args[@]}" </dev/null >"$log" 2>&1 ||
            fail neo4j "$log" "could not fetch Neo4j $NEO4J_VERSION from Maven Central"
    fi
    echo "$NEO4J_VERSION" >"$NEO4J_HOME/lib.tmp/.crmgraph-version"
    rm -rf "${NEO4J_HOME:?}/lib"
    mv "$NEO4J_HOME/lib.tmp" "$NEO4J_HOME/lib"
}

neo4j_write_conf() {
    mkdir -p "$NEO4J_HOME"/{conf,data,logs,run,plugins,import}
    cat >"$NEO4J_HOME/conf/neo4j.conf" <<EOF
# generated by scripts/services.sh -- edits are overwritten on start
server.directories.import=$NEO4J_HOME/import
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$NEO4J_BOLT_PORT
server.bolt.advertised_address=127.0.0.1:$NEO4J_BOLT_PORT
server.http.enabled=true
server.http.listen_address=127.0.0.1:$NEO4J_HTTP_PORT
server.http.advertised_address=127.0.0.1:$NEO4J_HTTP_PORT
server.https.enabled=false
dbms.security.auth_enabled=true
dbms.usage_report.enabled=false
server.memory.heap.initial_size=512m
server.memory.heap.max_size=1g
server.memory.pagecache.size=256m
# Bolt's netty event loops otherwise idle 2x5s on shutdown ("quiet period").
internal.dbms.bolt.netty_server_shutdown_quiet_period=0
# JVM flags from the official distribution's neo4j.conf (the --add-opens let
# the page cache / netty use direct buffers instead of a slow fallback).
server.jvm.additional=-XX:+UseG1GC
server.jvm.additional=-XX:-OmitStackTraceInFastThrow
server.jvm.additional=-XX:+UnlockExperimentalVMOptions
server.jvm.additional=-XX:+TrustFinalNonStaticFields
server.jvm.additional=-XX:+DisableExplicitGC
server.jvm.additional=-Djdk.nio.maxCachedBufferSize=1024
server.jvm.additional=-Dio.netty.tryReflectionSetAccessible=true
server.jvm.additional=-Djdk.tls.ephemeralDHKeySize=2048
server.jvm.additional=-Djdk.tls.rejectClientInitiatedRenegotiation=true
server.jvm.additional=--add-opens=java.base/java.nio=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/java.io=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
server.jvm.additional=-Dlog4j2.disable.jmx=true
EOF
}

# Same check as `bin/neo4j status` (pid file + live process) without paying
# ~1s for a JVM start.
neo4j_running() {
    local pidfile=$NEO4J_HOME/run/neo4j.pid pid
    [[ -f $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'org.neo4j.server.CommunityEntryPoint'
}

# HTTP status of a real Cypher query through the transactional endpoint
# (000 = nothing listening yet, 200 = ok, 401 = wrong password).
neo4j_query_status() {
    curl -s -o "$NEO4J_HOME/run/ready-check.json" -w '%{http_code}' --max-time 5 \
        -u "$NEO4J_LOCAL_USER:$NEO4J_LOCAL_PASSWORD" -H 'Content-Type: application/json' \
        -d '{"statements":[{"statement":"RETURN 1 AS ok"}]}' \
        "http://127.0.0.1:$NEO4J_HTTP_PORT/db/neo4j/tx/commit" 2>/dev/null || true
}

# Non-blocking part of start.  `bin/neo4j start` daemonizes the server but
# itself only returns once the server is nearly up (~10s), so run it in the
# background: PostgreSQL and Redis start meanwhile; neo4j_wait collects it.
NEO4J_LAUNCH_PID=
neo4j_launch() {
    neo4j_external && return 0
    NEO4J_JAVA=$(neo4j_java_home) || fail neo4j "$NEO4J_LOG" "no usable Java 17/21 (CRMGRAPH_NEO4J_JAVA_HOME=${CRMGRAPH_NEO4J_JAVA_HOME:-unset})"
    neo4j_assemble
    neo4j_running && return 0
    require_free_port neo4j "$NEO4J_BOLT_PORT" "$NEO4J_LOG"
    require_free_port neo4j "$NEO4J_HTTP_PORT" "$NEO4J_LOG"
    neo4j_write_conf
    if [[ ! -d $NEO4J_HOME/data/databases/system ]]; then
        # Only effective before the very first start (it seeds data/dbms/auth.ini).
        neo4j_cmd neo4j-admin dbms set-initial-password "$NEO4J_LOCAL_PASSWORD" \
            >"$NEO4J_HOME/logs/set-initial-password.log" 2>&1 ||
            fail neo4j "$NEO4J_HOME/logs/set-initial-password.log" "neo4j-admin dbms set-initial-password failed"
    fi
    # Neo4j recommends >= 40000 open files (it warns otherwise); containers
    # often forbid raising the hard limit, then at least use all of it.
    ulimit -n 40000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    neo4j_cmd --detach neo4j start >"$NEO4J_HOME/logs/start.log" 2>&1 </dev/null &
    NEO4J_LAUNCH_PID=$!
}

neo4j_ready() {
    local code
    code=$(neo4j_query_status)
    [[ $code == 401 ]] && return 2
    [[ $code == 200 ]] && grep -q '"errors":\[\]' "$NEO4J_HOME/run/ready-check.json" && port_open "$NEO4J_BOLT_PORT"
}

neo4j_wait() {
    if neo4j_external; then say neo4j external "$(mask_url "$NEO4J_URI")"; return; fi
    if [[ -n $NEO4J_LAUNCH_PID ]]; then
        # neo4j.log has the cause; start.log has launcher errors (e.g. Java).
        local pid=$NEO4J_LAUNCH_PID
        NEO4J_LAUNCH_PID=
        wait "$pid" || fail neo4j "$NEO4J_LOG" "bin/neo4j start failed" "$NEO4J_HOME/logs/start.log"
    fi
    local deadline=$((SECONDS + START_TIMEOUT)) rc
    while :; do
        rc=0; neo4j_ready || rc=$?
        ((rc == 0)) && break
        ((rc == 2)) && fail neo4j "$NEO4J_LOG" "authentication failed for user neo4j (data dir has a different password; delete $NEO4J_HOME/data to reset)"
        neo4j_running || fail neo4j "$NEO4J_LOG" "server process exited during startup (see also $NEO4J_HOME/logs/debug.log)"
        ((SECONDS < deadline)) || fail neo4j "$NEO4J_LOG" "not ready after ${START_TIMEOUT}s"
        sleep 1
    done
    say neo4j ready "bolt://neo4j:***@127.0.0.1:$NEO4J_BOLT_PORT (Neo4j $NEO4J_VERSION)"
}

# Like start, `bin/neo4j stop` (SIGTERM + polling, ~4s) runs in the background
# while PostgreSQL and Redis stop; neo4j_stop_wait reports the result.
NEO4J_STOP_PID=
neo4j_stop_begin() {
    neo4j_running || return 0
    NEO4J_JAVA=$(neo4j_java_home) || fail neo4j "$NEO4J_LOG" "no Java 17/21 found to run bin/neo4j stop"
    neo4j_cmd neo4j stop >"$NEO4J_HOME/logs/stop.log" 2>&1 </dev/null &
    NEO4J_STOP_PID=$!
}

neo4j_stop_wait() {
    if [[ -z $NEO4J_STOP_PID ]]; then say neo4j down ""; return; fi
    local pid=$NEO4J_STOP_PID
    NEO4J_STOP_PID=
    wait "$pid" || fail neo4j "$NEO4J_HOME/logs/stop.log" "bin/neo4j stop failed"
    say neo4j stopped ""
}

neo4j_status() {
    if neo4j_external; then say neo4j external "$(mask_url "$NEO4J_URI")"; return 0; fi
    if neo4j_running && port_open "$NEO4J_BOLT_PORT"; then
        say neo4j up "bolt://neo4j:***@127.0.0.1:$NEO4J_BOLT_PORT"
    else
        say neo4j down ""; return 1
    fi
}

# ------------------------------------------------------------- commands ---

cmd_start() {
    ensure_run_dir
    local missing="" pkgs=()
    pg_external || missing+=" $(pg_packages)"
    redis_external || missing+=" $(redis_packages)"
    neo4j_external || missing+=" $(neo4j_packages)"
    read -ra pkgs <<<"$missing"
    install_packages ${pkgs[@]+"${pkgs[@]}"}

    neo4j_launch # slowest to boot: kick it off first
    pg_start
    redis_start
    neo4j_wait
}

cmd_stop() {
    # Stops the local servers even when an external URL is set: if they are
    # running they are ours.
    neo4j_stop_begin
    pg_stop
    redis_stop
    neo4j_stop_wait
}

cmd_status() {
    local rc=0
    pg_status || rc=3
    redis_status || rc=3
    neo4j_status || rc=3
    return $rc
}

cmd_env() {
    # Externally provided values win, so `eval` keeps pointing at them.  The
    # companion variables of an external service (TEST_DATABASE_URL, Neo4j
    # credentials) are only printed if set: local defaults would be wrong.
    export_line() { [[ -z $2 ]] || printf 'export %s=%q\n' "$1" "$2"; }
    local pg_test=$LOCAL_TEST_DATABASE_URL neo4j_user=$NEO4J_LOCAL_USER neo4j_password=$NEO4J_LOCAL_PASSWORD
    if pg_external; then pg_test=""; fi
    if neo4j_external; then neo4j_user="" neo4j_password=""; fi
    export_line DATABASE_URL "${DATABASE_URL:-$LOCAL_DATABASE_URL}"
    export_line TEST_DATABASE_URL "${TEST_DATABASE_URL:-$pg_test}"
    export_line REDIS_URL "${REDIS_URL:-$LOCAL_REDIS_URL}"
    export_line NEO4J_URI "${NEO4J_URI:-$LOCAL_NEO4J_URI}"
    export_line NEO4J_USER "${NEO4J_USER:-$neo4j_user}"
    export_line NEO4J_PASSWORD "${NEO4J_PASSWORD:-$neo4j_password}"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
*)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
