# shellcheck shell=bash
# A throwaway stack for scripts/bench.sh, soak.sh and leak-check.sh: hh-standin, hh-auth and
# nginx on 127.0.0.1 with fresh secrets and a fresh database in one directory, rate limits off.
# Source scripts/lib/stack.sh first, then this.
#
#   bench_env DIR [PORT] [STANDIN_PORT]   settings (exported); ports default to free ones:
#                                         $BENCH_HTTP_PORT, $BENCH_STANDIN_HTTP_PORT
#   bench_migrate BIN_DIR                 create the schema (hh-auth migrate)
#   bench_start_standin BIN_DIR           -> $BENCH_STANDIN_SOCKET
#   bench_start_service BIN_DIR [WRAPPER...]  hh-auth serve (under WRAPPER, e.g. valgrind)
#                                         -> $BENCH_SERVICE_PID, $BENCH_SERVICE_SOCKET
#   bench_start_node NAME BIN_DIR SOCKET [WRAPPER...]  another hh-auth serve on SOCKET, log
#                                         NAME.log -> $BENCH_NODE_PID
#   bench_stop_service                    SIGTERM hh-auth and wait
#   bench_start_nginx NAME PORT SOCKETS [STANDIN_SOCKET]  SOCKETS: one hh-auth socket, or several
#                                         separated by spaces (one upstream, a server line each)
#   bench_seed_sessions USERS SESSIONS FILE   allow USERS HH ids, then sign in SESSIONS times
#                                         through the real login flow (bench/hhload.py), through
#                                         the nginx on $BENCH_SEED_HTTP_PORT [$BENCH_HTTP_PORT]
#   bench_start_postgresql MAX_CONNECTIONS  a throwaway cluster (scripts/pg-cluster.sh) in a new
#                                         temporary directory; exports DATABASE_URL, unsets
#                                         DATABASE_PATH -> $BENCH_PG_DIR, $BENCH_PG_CONNINFO,
#                                         $BENCH_PG_VERSION
#   bench_stop_postgresql                 stop that cluster and remove its directory (none: no-op)
#   bench_machine                         "N CPUs, model, Linux x.y"
#   bench_load                            the 1-minute load average
# The admin API's credentials: admin / $BENCH_ADMIN_PASSWORD (default bench).
# The sourcing script sets $repo (the repository root).
# shellcheck disable=SC2154

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_env() {
    BENCH_DIR_ABS="$1"
    BENCH_HTTP_PORT="${2:-$(free_port)}"
    BENCH_STANDIN_HTTP_PORT="${3:-$(free_port)}"
    mkdir -p "$BENCH_DIR_ABS"
    BENCH_DIR_ABS="$(cd "$BENCH_DIR_ABS" && pwd)"
    command -v openssl >/dev/null || die "openssl is missing (make deps)"
    command -v python3 >/dev/null || die "python3 is missing"
    # Nothing from a developer's environment leaks in: this stack's secrets are made here.
    unset ENCRYPTION_KEY_FILE ENCRYPTION_OLD_KEYS ENCRYPTION_OLD_KEYS_FILE ADMIN_PASSWORD_FILE \
        HH_CLIENT_SECRET_FILE CREDENTIALS_DIRECTORY INITIAL_ALLOWED_USERS CLIENT_REDIRECT_URIS WORKER_THREADS
    BENCH_ADMIN_PASSWORD="${BENCH_ADMIN_PASSWORD:-bench}"
    export RATE_LIMITS=off
    ENCRYPTION_KEY="$(openssl rand -base64 32)"
    ADMIN_PASSWORD="$(openssl passwd -6 "$BENCH_ADMIN_PASSWORD")"
    export ENCRYPTION_KEY ADMIN_PASSWORD ADMIN_USERNAME=admin
    export HH_CLIENT_ID=dev-client HH_CLIENT_SECRET=dev-secret
    export HH_REDIRECT_URI="http://127.0.0.1:$BENCH_HTTP_PORT/auth/callback"
    export HH_AUTHORIZE_URL="http://127.0.0.1:$BENCH_STANDIN_HTTP_PORT/oauth/authorize"
    export HH_TOKEN_URL="http://127.0.0.1:$BENCH_STANDIN_HTTP_PORT/token"
    export HH_API_URL="http://127.0.0.1:$BENCH_STANDIN_HTTP_PORT"
    export STANDIN_CLIENT_ID="$HH_CLIENT_ID" STANDIN_CLIENT_SECRET="$HH_CLIENT_SECRET" STANDIN_REDIRECT_URI="$HH_REDIRECT_URI"
    export DATABASE_PATH="$BENCH_DIR_ABS/hh-auth.sqlite3"
    rm -f "$DATABASE_PATH" "$DATABASE_PATH-wal" "$DATABASE_PATH-shm"
    BENCH_SERVICE_SOCKET="$BENCH_DIR_ABS/hh-auth.sock"
    BENCH_STANDIN_SOCKET="$BENCH_DIR_ABS/hh-standin.sock"
}

bench_migrate() {
    "$1/hh-auth" migrate >"$BENCH_DIR_ABS/migrate.log" 2>&1 || { cat "$BENCH_DIR_ABS/migrate.log" >&2; die "hh-auth migrate failed"; }
}

bench_start_standin() {
    [[ -x "$1/hh-standin" ]] || die "no $1/hh-standin"
    rm -f "$BENCH_STANDIN_SOCKET"
    FCGI_SOCKET="$BENCH_STANDIN_SOCKET" start_bg hh-standin "$BENCH_DIR_ABS/hh-standin.log" "$1/hh-standin"
    wait_socket "$BENCH_STANDIN_SOCKET" "$STACK_LAST_PID" hh-standin
}

bench_start_service() {
    local bin_dir="$1"
    shift
    bench_start_node hh-auth "$bin_dir" "$BENCH_SERVICE_SOCKET" "$@"
    BENCH_SERVICE_PID=$BENCH_NODE_PID
}

bench_start_node() { # NAME BIN_DIR SOCKET [WRAPPER...]
    local name="$1" bin_dir="$2" socket="$3"
    shift 3
    [[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth"
    rm -f "$socket"
    FCGI_SOCKET="$socket" start_bg "$name" "$BENCH_DIR_ABS/$name.log" "$@" "$bin_dir/hh-auth" serve
    BENCH_NODE_PID=$STACK_LAST_PID
    wait_socket "$socket" "$BENCH_NODE_PID" "$name" "${BENCH_SERVICE_START_SECONDS:-20}"
}

bench_stop_service() {
    stop_pid "$BENCH_SERVICE_PID" "${1:-15}"
}

bench_start_nginx() { # NAME PORT SOCKETS [STANDIN_SOCKET]
    local prefix="$BENCH_DIR_ABS/nginx-$1" ncmd
    NGINX_PREFIX="$prefix" HTTP_PORT="$2" HTTPS_PORT="" SERVICE_SOCKET="" SERVICE_SOCKETS="$3" \
        STANDIN_SOCKET="${4:-}" STANDIN_PORT="$BENCH_STANDIN_HTTP_PORT" RATE_LIMITS=off \
        "$repo/scripts/render-nginx.sh" >/dev/null
    mapfile -t ncmd < <(nginx_cmd "$prefix")
    start_bg "nginx-$1" "$prefix/stdout.log" "${ncmd[@]}"
    wait_http "http://127.0.0.1:$2/" "$STACK_LAST_PID" "nginx-$1"
}

bench_seed_sessions() { # USERS SESSIONS FILE
    python3 "$repo/bench/hhload.py" sessions --service "127.0.0.1:${BENCH_SEED_HTTP_PORT:-$BENCH_HTTP_PORT}" \
        --standin "127.0.0.1:$BENCH_STANDIN_HTTP_PORT" --admin "admin:$BENCH_ADMIN_PASSWORD" \
        --users "$1" --sessions "$2" --threads "${BENCH_SEED_THREADS:-8}" --out "$3"
}

bench_start_postgresql() { # MAX_CONNECTIONS
    local out
    # A fresh name only: pg-cluster.sh makes the directory itself (as the cluster's user when
    # root) and refuses one that exists, so a name taken meanwhile fails instead of being used.
    BENCH_PG_DIR="$(mktemp -u "${TMPDIR:-/tmp}/hh-auth-bench-pg.XXXXXX")"
    out="$("$repo/scripts/pg-cluster.sh" start "$BENCH_PG_DIR")" || die "scripts/pg-cluster.sh start failed"
    BENCH_PG_CONNINFO="$(sed -n 1p <<<"$out")"
    # pg-cluster.sh's 50 connections are for tests; every worker thread of a node holds one.
    psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_PG_CONNINFO" -c "ALTER SYSTEM SET max_connections = $1" ||
        die "psql could not raise max_connections"
    "$repo/scripts/pg-cluster.sh" stop "$BENCH_PG_DIR" || die "scripts/pg-cluster.sh stop failed"
    out="$("$repo/scripts/pg-cluster.sh" start "$BENCH_PG_DIR")" || die "scripts/pg-cluster.sh start failed"
    # shellcheck disable=SC2034  # for the sourcing script's report
    BENCH_PG_VERSION="$(psql -X -A -t -q -d "$BENCH_PG_CONNINFO" -c 'SHOW server_version')"
    [[ "$(psql -X -A -t -q -d "$BENCH_PG_CONNINFO" -c 'SHOW max_connections')" == "$1" ]] ||
        die "the cluster did not take max_connections = $1"
    unset DATABASE_PATH
    DATABASE_URL="$(sed -n 2p <<<"$out")"
    export DATABASE_URL
}

bench_stop_postgresql() {
    [[ -n "${BENCH_PG_DIR:-}" ]] || return 0
    "$repo/scripts/pg-cluster.sh" stop "$BENCH_PG_DIR" || { warn "the cluster in $BENCH_PG_DIR did not stop"; return 0; }
    rm -rf -- "$BENCH_PG_DIR"
    BENCH_PG_DIR=""
}

bench_machine() {
    local cpu
    cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    printf '%s CPUs, %s, %s GiB RAM, Linux %s' "$(nproc)" "${cpu:-unknown CPU}" \
        "$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)"
}

bench_load() {
    awk '{print $1}' /proc/loadavg
}

# proc_kib PID FIELD: a /proc/PID/status value in kB (VmRSS, VmHWM).
proc_kib() {
    awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || true
}
