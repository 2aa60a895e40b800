# shellcheck shell=bash
# Helpers shared by scripts/dev-stack.sh and scripts/bench.sh (source it).

STACK_PIDS=()      # pids of started processes, in start order
STACK_NAMES=()     # their names, same order

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# ensure_dev_env FILE: create the development secrets file once.
# Format: KEY=VALUE lines, raw values (no quotes, no shell expansion).
ensure_dev_env() {
    local file="$1" password="${DEV_ADMIN_PASSWORD:-admin}"
    [[ -s "$file" ]] && return 0
    command -v openssl >/dev/null || die "openssl is missing (make deps)"
    mkdir -p "$(dirname "$file")"
    (
        umask 077
        {
            echo "# hh-auth development settings, generated $(date -u +%Y-%m-%dT%H:%M:%SZ)."
            echo "# KEY=VALUE, raw values. Anything set in the environment wins over this file."
            echo "ENCRYPTION_KEY=$(openssl rand -base64 32)"
            echo "ADMIN_USERNAME=admin"
            echo "ADMIN_PASSWORD=$(openssl passwd -6 "$password")"
        } >"$file"
    )
    log "created $file: admin user 'admin', password '$password' (shown once; delete the file to start over)"
}

# load_env_file FILE: export KEY=VALUE lines for keys not already set.
load_env_file() {
    local file="$1" line key value
    [[ -f "$file" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || continue
        key="${line%%=*}"
        value="${line#*=}"
        if [[ -z "${!key+x}" ]]; then
            export "$key=$value"
        fi
    done <"$file"
}

# start_bg NAME LOGFILE|- CMD ARGS...: start a process in the background.
# LOGFILE '-' = inherit the terminal. The pid is in $STACK_LAST_PID.
start_bg() {
    local name="$1" logfile="$2"
    shift 2
    if [[ "$logfile" == - ]]; then
        "$@" &
    else
        mkdir -p "$(dirname "$logfile")"
        "$@" >>"$logfile" 2>&1 &
    fi
    STACK_LAST_PID=$!
    STACK_PIDS+=("$STACK_LAST_PID")
    STACK_NAMES+=("$name")
}

# name_of PID
name_of() {
    local i
    for i in "${!STACK_PIDS[@]}"; do
        [[ "${STACK_PIDS[$i]}" == "$1" ]] && { echo "${STACK_NAMES[$i]}"; return; }
    done
    echo "pid $1"
}

# wait_socket PATH PID NAME [SECONDS]: wait until PATH is a socket; fail if PID dies.
wait_socket() {
    local path="$1" pid="$2" name="$3" limit="${4:-20}" i
    for ((i = 0; i < limit * 10; i++)); do
        [[ -S "$path" ]] && return 0
        kill -0 "$pid" 2>/dev/null || die "$name exited before creating $path"
        sleep 0.1
    done
    die "$name did not create $path within ${limit}s"
}

# wait_http URL PID NAME [SECONDS]: wait until URL answers (any HTTP status).
wait_http() {
    local url="$1" pid="$2" name="$3" limit="${4:-20}" i
    for ((i = 0; i < limit * 10; i++)); do
        curl -sk -o /dev/null --max-time 1 "$url" && return 0
        kill -0 "$pid" 2>/dev/null || die "$name exited (is the port in use?)"
        sleep 0.1
    done
    die "$name does not answer at $url within ${limit}s"
}

# stop_pid PID [SECONDS]: SIGTERM, wait, SIGKILL if still running.
stop_pid() {
    local pid="$1" limit="${2:-15}" i
    # `|| true`: under `set -e` a failed `wait` (the process exited non-zero) would end the
    # caller, e.g. the EXIT trap's stop_all, before it stopped the rest.
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        warn "$(name_of "$pid") did not stop within ${limit}s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# stop_all: stop everything started with start_bg, newest first.
stop_all() {
    local i
    for ((i = ${#STACK_PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${STACK_PIDS[$i]}"
    done
    STACK_PIDS=()
    STACK_NAMES=()
}

# nginx_cmd PREFIX: the command line that starts the rendered dev nginx.
nginx_cmd() {
    printf '%s\n' nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log"
}
