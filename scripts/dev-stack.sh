#!/usr/bin/env bash
# hh-auth development stack: hh-standin (unless real HH settings are given),
# hh-auth serve, and nginx in front, all on 127.0.0.1. Ctrl-C stops everything.
# `make run` builds and then runs this.
#
# Environment (every setting can be overridden; defaults in brackets):
#   HH_AUTH_BIN_DIR   [swift build --show-bin-path]  where hh-auth and hh-standin are
#   RUN_DIR           [<repo>/.run]      state: dev.env, database, sockets, nginx, logs
#   HTTP_PORT         [8080]   HTTPS_PORT [8443]   STANDIN_PORT [8090]
#   RATE_LIMITS       [on in nginx; unset for the service]  `off` turns both limiters off
#   DEV_ADMIN_PASSWORD [admin] admin password written to .run/dev.env on first run
#   SERVICE_LOG       [-]      `-` = hh-auth logs to this terminal, or a file path
#   Service settings (see README): HH_CLIENT_ID … LOG_LEVEL. Defaults here:
#     DATABASE_PATH=$RUN_DIR/hh-auth.sqlite3, FCGI_SOCKET=$RUN_DIR/hh-auth.sock,
#     ENCRYPTION_KEY / ADMIN_USERNAME / ADMIN_PASSWORD from $RUN_DIR/dev.env.
#   Without HH_CLIENT_ID in the environment the stand-in is used:
#     HH_CLIENT_ID=dev-client HH_CLIENT_SECRET=dev-secret
#     HH_AUTHORIZE_URL=http://127.0.0.1:$STANDIN_PORT/oauth/authorize
#     HH_TOKEN_URL=http://127.0.0.1:$STANDIN_PORT/token  HH_API_URL=http://127.0.0.1:$STANDIN_PORT
#     HH_REDIRECT_URI=https://127.0.0.1:$HTTPS_PORT/auth/callback
#     STANDIN_DEFAULT_USER_ID [100000001], INITIAL_ALLOWED_USERS=$STANDIN_DEFAULT_USER_ID,
#     and that user is put in the group ops (`hh-auth users allow … --group ops`) for /demo/ops/
#     STANDIN_SOCKET [$RUN_DIR/hh-standin.sock]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"

export RUN_DIR="${RUN_DIR:-$repo/.run}"
mkdir -p "$RUN_DIR/logs"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"

if [[ -z "${HH_AUTH_BIN_DIR:-}" ]]; then
    HH_AUTH_BIN_DIR="$(cd "$repo" && swift build --show-bin-path)"
fi
[[ -x "$HH_AUTH_BIN_DIR/hh-auth" ]] || die "no $HH_AUTH_BIN_DIR/hh-auth: run 'make build' (or set HH_AUTH_BIN_DIR)"

export HTTP_PORT="${HTTP_PORT:-8080}"
export HTTPS_PORT="${HTTPS_PORT:-8443}"
export STANDIN_PORT="${STANDIN_PORT:-8090}"

# ---- settings -------------------------------------------------------------------
ensure_dev_env "$RUN_DIR/dev.env"
load_env_file "$RUN_DIR/dev.env"
export DATABASE_PATH="${DATABASE_PATH:-$RUN_DIR/hh-auth.sqlite3}"
export FCGI_SOCKET="${FCGI_SOCKET:-$RUN_DIR/hh-auth.sock}"
case "$FCGI_SOCKET" in /*) ;; *) die "FCGI_SOCKET must be a unix socket path for the dev stack: $FCGI_SOCKET" ;; esac

use_standin=0
if [[ -z "${HH_CLIENT_ID:-}" ]]; then
    use_standin=1
    export STANDIN_DEFAULT_USER_ID="${STANDIN_DEFAULT_USER_ID:-100000001}"
    export HH_CLIENT_ID=dev-client
    export HH_CLIENT_SECRET="${HH_CLIENT_SECRET:-dev-secret}"
    export HH_AUTHORIZE_URL="${HH_AUTHORIZE_URL:-http://127.0.0.1:$STANDIN_PORT/oauth/authorize}"
    export HH_TOKEN_URL="${HH_TOKEN_URL:-http://127.0.0.1:$STANDIN_PORT/token}"
    export HH_API_URL="${HH_API_URL:-http://127.0.0.1:$STANDIN_PORT}"
    export HH_REDIRECT_URI="${HH_REDIRECT_URI:-https://127.0.0.1:$HTTPS_PORT/auth/callback}"
    export INITIAL_ALLOWED_USERS="${INITIAL_ALLOWED_USERS:-$STANDIN_DEFAULT_USER_ID}"
    export STANDIN_CLIENT_ID="${STANDIN_CLIENT_ID:-$HH_CLIENT_ID}"
    export STANDIN_CLIENT_SECRET="${STANDIN_CLIENT_SECRET:-$HH_CLIENT_SECRET}"
    export STANDIN_REDIRECT_URI="${STANDIN_REDIRECT_URI:-$HH_REDIRECT_URI}"
    STANDIN_SOCKET="${STANDIN_SOCKET:-$RUN_DIR/hh-standin.sock}"
else
    STANDIN_SOCKET=""
fi

# ---- start ----------------------------------------------------------------------
stopping=0
# shellcheck disable=SC2317  # called by trap
on_signal() {
    stopping=1
    echo >&2
    log "stopping"
    stop_all
    rm -f "$FCGI_SOCKET" ${STANDIN_SOCKET:+"$STANDIN_SOCKET"}
    exit 0
}
trap on_signal INT TERM
trap '[[ $stopping == 1 ]] || stop_all' EXIT

if [[ $use_standin == 1 ]]; then
    [[ -x "$HH_AUTH_BIN_DIR/hh-standin" ]] || die "no $HH_AUTH_BIN_DIR/hh-standin"
    rm -f "$STANDIN_SOCKET"
    log "starting hh-standin on $STANDIN_SOCKET (log: $RUN_DIR/logs/hh-standin.log)"
    FCGI_SOCKET="$STANDIN_SOCKET" start_bg hh-standin "$RUN_DIR/logs/hh-standin.log" "$HH_AUTH_BIN_DIR/hh-standin"
    wait_socket "$STANDIN_SOCKET" "$STACK_LAST_PID" hh-standin
fi

rm -f "$FCGI_SOCKET"
log "starting hh-auth serve on $FCGI_SOCKET (database: $DATABASE_PATH)"
start_bg hh-auth "${SERVICE_LOG:--}" "$HH_AUTH_BIN_DIR/hh-auth" serve
service_pid=$STACK_LAST_PID
wait_socket "$FCGI_SOCKET" "$service_pid" hh-auth
if [[ $use_standin == 1 ]]; then
    # The stand-in's user opens both demo pages: /demo/ (whitelisted) and /demo/ops/ (group ops).
    if ! "$HH_AUTH_BIN_DIR/hh-auth" users allow "$STANDIN_DEFAULT_USER_ID" --group ops \
        --comment "development stack: the stand-in's user, group ops for /demo/ops/" >"$RUN_DIR/logs/allow-demo.log" 2>&1; then
        warn "could not put $STANDIN_DEFAULT_USER_ID in the group ops (/demo/ops/ will answer 403): $(head -n1 "$RUN_DIR/logs/allow-demo.log")"
    fi
fi

nginx_prefix="$RUN_DIR/nginx"
NGINX_PREFIX="$nginx_prefix" SERVICE_SOCKET="$FCGI_SOCKET" STANDIN_SOCKET="$STANDIN_SOCKET" \
    "$repo/scripts/render-nginx.sh" >/dev/null
log "starting nginx (config: $nginx_prefix/nginx.conf, logs: $nginx_prefix/{access,error}.log)"
mapfile -t ncmd < <(nginx_cmd "$nginx_prefix")
start_bg nginx - "${ncmd[@]}"
wait_http "http://127.0.0.1:$HTTP_PORT/" "$STACK_LAST_PID" nginx
if [[ $use_standin == 1 ]]; then
    wait_http "http://127.0.0.1:$STANDIN_PORT/" "$STACK_LAST_PID" nginx
fi

cat >&2 <<INFO

  hh-auth is running.
    Open:      https://127.0.0.1:$HTTPS_PORT/   (self-signed certificate: accept the warning)
               http://127.0.0.1:$HTTP_PORT/     (plain HTTP, development only)
    Admin API: curl -u $ADMIN_USERNAME:<password> http://127.0.0.1:$HTTP_PORT/admin/users
INFO
if [[ $use_standin == 1 ]]; then
    cat >&2 <<INFO
    HH:        stand-in at http://127.0.0.1:$STANDIN_PORT (signs in as HH user $STANDIN_DEFAULT_USER_ID,
               which is on the allow-list, group ops); set HH_CLIENT_ID etc. to use the real hh.ru.
    Demo:      https://127.0.0.1:$HTTPS_PORT/demo/ (any allowed user), /demo/ops/ (group ops):
               an app nginx protects with auth_request (README.md, "Protect an app")
INFO
else
    echo "    HH:        $HH_AUTHORIZE_URL (client $HH_CLIENT_ID)" >&2
fi
cat >&2 <<INFO
    State:     $RUN_DIR   Ctrl-C stops everything.

INFO

# ---- supervise: if any part exits, stop the rest ------------------------------------
set +e
wait -n "${STACK_PIDS[@]}"
rc=$?
set -e
for pid in "${STACK_PIDS[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        warn "$(name_of "$pid") exited (status $rc); stopping the rest"
        break
    fi
done
stopping=1
stop_all
rm -f "$FCGI_SOCKET" ${STANDIN_SOCKET:+"$STANDIN_SOCKET"}
exit 1
