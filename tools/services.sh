#!/usr/bin/env bash
# tools/services.sh start|stop|status [--no-neo4j]
#
# The servers the integration tests talk to, with no Docker, kept apart from a user's own:
# the tests wipe what they use, so they get a Neo4j and a database of their own. Used by
# `make test` and by CI (.ci/run, as root on a fresh Debian 12 machine).
#
#   Redis       127.0.0.1:6379  redis-server, daemonized, append-only persistence; data
#                               (appendonly file), pid and log in var/redis (the tests use
#                               database 15)
#   PostgreSQL  127.0.0.1:5432  Debian's packaged cluster (15/main); role `loanwatch`
#                               (password `loanwatch`) owns database `loanwatch_test`;
#                               TCP on 127.0.0.1 uses password (scram) auth
#   Neo4j       127.0.0.1:7688  the TEST Neo4j, through `loanwatch neo4j start`, data in
#                               var/neo4j-test; started ALWAYS unless --no-neo4j is given.
#                               Not the 127.0.0.1:7687 / var/neo4j of `loanwatch neo4j start`
#                               and `make neo4j`, which hold a user's data and are left alone.
#
# `start` installs what is missing with apt-get (one `apt-get update` first), starts each
# server only when it does not already answer, and waits until it does (redis-cli ping,
# pg_isready, a Bolt driver check). Safe to run any number of times. `stop` stops all three
# (Neo4j unless --no-neo4j). `status` says which answer and exits 1 unless all do.
# Needs root or sudo for apt-get and PostgreSQL; the Python venv (.venv, or $PYTHON) must
# already exist for Neo4j. The first Neo4j start builds the server with Maven into the
# user's cache (see `loanwatch neo4j --help`).
#
# Environment: PYTHON (default .venv/bin/python), PG_VERSION (default 15, else the newest
# installed), NEO4J_START_TIMEOUT_S (default 180), SERVICE_WAIT_S (default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR_DIR="$ROOT/var"
REDIS_DIR="$VAR_DIR/redis"
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
PG_HOST=127.0.0.1
PG_PORT=5432
PG_CLUSTER=main
PG_ROLE=loanwatch
PG_PASSWORD=loanwatch
PG_DATABASE=loanwatch_test
# The test Neo4j: its own port and data folder, never the user's 7687 and var/neo4j.
NEO4J_DATA_DIR="$VAR_DIR/neo4j-test"
NEO4J_BOLT=127.0.0.1:7688
NEO4J_START_TIMEOUT_S="${NEO4J_START_TIMEOUT_S:-180}"
SERVICE_WAIT_S="${SERVICE_WAIT_S:-60}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
    # From / so that psql does not complain about an unreadable working directory.
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && sudo -u postgres "$@")
    fi
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# wait_for WHAT SECONDS COMMAND...: poll COMMAND until it succeeds or SECONDS pass.
wait_for() {
    local what="$1" seconds="$2"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            die "$what did not answer within ${seconds}s"
        fi
        sleep 0.5
    done
}

# --- Redis ------------------------------------------------------------------------------

redis_up() {
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

start_redis() {
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        apt_install redis-server
    fi
    if redis_up; then
        log "redis already answers on $REDIS_HOST:$REDIS_PORT"
        return
    fi
    mkdir -p "$REDIS_DIR"
    log "starting redis on $REDIS_HOST:$REDIS_PORT (data in $REDIS_DIR)"
    # Append-only persistence: queued jobs survive a Redis restart (the jobs' fault tests).
    redis-server --bind "$REDIS_HOST" --port "$REDIS_PORT" --protected-mode yes \
        --daemonize yes --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" \
        --logfile "$REDIS_DIR/redis.log" --appendonly yes
    wait_for "redis on $REDIS_HOST:$REDIS_PORT (log $REDIS_DIR/redis.log)" "$SERVICE_WAIT_S" redis_up
    log "redis answers"
}

stop_redis() {
    if command -v redis-cli >/dev/null && redis_up; then
        log "stopping redis"
        redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
        wait_for "redis shutdown" "$SERVICE_WAIT_S" bash -c "! redis-cli -h $REDIS_HOST -p $REDIS_PORT ping"
    else
        log "redis is not running"
    fi
}

# --- PostgreSQL -------------------------------------------------------------------------

pg_version() {
    local wanted="${PG_VERSION:-15}"
    if [ -x "/usr/lib/postgresql/$wanted/bin/postgres" ]; then
        echo "$wanted"
        return
    fi
    # Otherwise the newest installed major version.
    { find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null || true; } | sort -n | tail -n 1
}

pg_up() {
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
}

pg_installed() {
    command -v pg_ctlcluster >/dev/null && command -v pg_isready >/dev/null \
        && command -v psql >/dev/null && [ -n "$(pg_version)" ]
}

ensure_pg_role_and_database() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    ELSE
        ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
SQL
    local exists
    exists="$(as_postgres psql -X -tA -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")"
    if [ "$exists" != "1" ]; then
        log "creating database $PG_DATABASE owned by $PG_ROLE"
        as_postgres createdb -O "$PG_ROLE" "$PG_DATABASE"
    else
        as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres \
            -c "ALTER DATABASE $PG_DATABASE OWNER TO $PG_ROLE"
    fi
    # The check that matters: the tests' own connection, password auth over TCP.
    if ! PGPASSWORD="$PG_PASSWORD" psql -X -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" \
        -d "$PG_DATABASE" -tA -c "SELECT 1" >/dev/null; then
        die "cannot log in to $PG_DATABASE as $PG_ROLE over TCP $PG_HOST:$PG_PORT (check pg_hba.conf)"
    fi
}

start_postgres() {
    if ! pg_installed; then
        apt_install postgresql postgresql-client
    fi
    local version
    version="$(pg_version)"
    [ -n "$version" ] || die "no PostgreSQL server found under /usr/lib/postgresql"
    if pg_up; then
        log "postgresql already answers on $PG_HOST:$PG_PORT"
    else
        if ! pg_lsclusters -h | awk -v v="$version" -v c="$PG_CLUSTER" '$1 == v && $2 == c {f=1} END {exit !f}'; then
            log "creating cluster $version/$PG_CLUSTER on port $PG_PORT"
            as_root pg_createcluster "$version" "$PG_CLUSTER" --port "$PG_PORT"
        fi
        # The socket directory lives in /run, which a fresh container may lack.
        as_root install -d -o postgres -g postgres -m 2775 /var/run/postgresql
        log "starting postgresql $version/$PG_CLUSTER"
        as_root pg_ctlcluster "$version" "$PG_CLUSTER" start \
            || die "pg_ctlcluster failed; see /var/log/postgresql/postgresql-$version-$PG_CLUSTER.log"
        wait_for "postgresql on $PG_HOST:$PG_PORT" "$SERVICE_WAIT_S" pg_up
        log "postgresql answers"
    fi
    ensure_pg_role_and_database
    log "database $PG_DATABASE ready for $PG_ROLE"
}

stop_postgres() {
    local version
    version="$(pg_version 2>/dev/null || true)"
    if [ -n "$version" ] && command -v pg_ctlcluster >/dev/null && pg_up; then
        log "stopping postgresql $version/$PG_CLUSTER"
        as_root pg_ctlcluster "$version" "$PG_CLUSTER" stop
    else
        log "postgresql is not running"
    fi
}

# --- Neo4j ------------------------------------------------------------------------------

loanwatch_cli() {
    [ -x "$PYTHON" ] || die "no Python at $PYTHON: create the venv first (python3.11 -m venv .venv && .venv/bin/pip install -e '.[dev]')"
    (cd "$ROOT" && "$PYTHON" -m loanwatch.cli.main "$@")
}

neo4j_answers() {
    # A TCP connect to the Bolt port; the tests' own check (tests/ownership.py) decides
    # whether that server may be used.
    (exec 3<>"/dev/tcp/${NEO4J_BOLT%:*}/${NEO4J_BOLT##*:}") >/dev/null 2>&1
}

start_neo4j() {
    if neo4j_answers; then
        log "a neo4j already answers on $NEO4J_BOLT; the tests use it, and refuse it if it holds data they did not write"
        return
    fi
    if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
        apt_install openjdk-17-jdk-headless maven
    fi
    log "starting the test neo4j on $NEO4J_BOLT (data in $NEO4J_DATA_DIR; the first run builds the server)"
    loanwatch_cli neo4j start --data-dir "$NEO4J_DATA_DIR" --bolt "$NEO4J_BOLT" \
        --timeout "$NEO4J_START_TIMEOUT_S"
}

stop_neo4j() {
    loanwatch_cli neo4j stop --data-dir "$NEO4J_DATA_DIR"
}

# --- main -------------------------------------------------------------------------------

status_all() {
    local bad=0
    if command -v redis-cli >/dev/null && redis_up; then log "redis: up"; else log "redis: down"; bad=1; fi
    if command -v pg_isready >/dev/null && pg_up; then log "postgresql: up"; else log "postgresql: down"; bad=1; fi
    if [ "$WITH_NEO4J" -eq 1 ]; then
        loanwatch_cli neo4j status --data-dir "$NEO4J_DATA_DIR" --bolt "$NEO4J_BOLT" || bad=1
    fi
    return "$bad"
}

usage() {
    echo "usage: $0 start|stop|status [--no-neo4j]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
ACTION="$1"
shift
WITH_NEO4J=1
for arg in "$@"; do
    case "$arg" in
        --no-neo4j) WITH_NEO4J=0 ;;
        *) usage ;;
    esac
done

case "$ACTION" in
    start)
        start_redis
        start_postgres
        if [ "$WITH_NEO4J" -eq 1 ]; then start_neo4j; fi
        log "all started"
        ;;
    stop)
        if [ "$WITH_NEO4J" -eq 1 ]; then stop_neo4j; fi
        stop_redis
        stop_postgres
        ;;
    status)
        status_all
        ;;
    *)
        usage
        ;;
esac
