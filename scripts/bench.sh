#!/usr/bin/env bash
# Throughput benchmark: hh-auth behind nginx against a C libfcgi "ceiling"
# (bench/ceiling.c) behind the same nginx configuration. `make bench` runs it.
#
#   scripts/bench.sh
#
# Environment (defaults in brackets):
#   BENCH_SKIP_BUILD  [0]      1 = do not run `swift build -c release`
#   HH_AUTH_BIN_DIR   [swift build -c release --show-bin-path]
#   BENCH_THREADS [2]  BENCH_CONNECTIONS [32]  BENCH_DURATION [10s]  BENCH_WARMUP [2s]
#   BENCH_PORT        [18180]  nginx in front of the service
#   BENCH_CEILING_PORT [18181] nginx in front of the ceiling
#   BENCH_STANDIN     [0]      1 = also start hh-standin (for routes that call HH)
#   CEILING_THREADS   [128]    ceiling threads (>= connections nginx keeps open)
#   BENCH_RECORD      [1]      0 = do not append to BENCHMARKS.md
#   BENCH_DIR         [.run/bench]
# Rate limits are off (RATE_LIMITS=off) for nginx and the service.
#
# Adding a route: add a `bench_route NAME METHOD PATH [LUA_SCRIPT]` line to
# service_routes below (a Lua script for wrk sets bodies/headers; without one,
# METHOD is set by a generated script). Every route is compared with the
# ceiling's /health.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
cd "$repo"

threads="${BENCH_THREADS:-2}"
connections="${BENCH_CONNECTIONS:-32}"
duration="${BENCH_DURATION:-10s}"
warmup="${BENCH_WARMUP:-2s}"
port="${BENCH_PORT:-18180}"
ceiling_port="${BENCH_CEILING_PORT:-18181}"
standin_port="${BENCH_STANDIN_PORT:-18190}"
bench_dir="${BENCH_DIR:-$repo/.run/bench}"
mkdir -p "$bench_dir"
bench_dir="$(cd "$bench_dir" && pwd)"

command -v wrk >/dev/null || die "wrk is missing (make deps-bench)"
command -v nginx >/dev/null || die "nginx is missing (make deps)"

# ---- the service's routes -----------------------------------------------------------
service_routes() {
    bench_route health GET /health
    # bench_route users_me GET /users/me "$repo/bench/users-me.lua"
}

# ---- build ------------------------------------------------------------------------
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "swift build -c release"
    swift build -c release
fi
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build -c release --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth"

ceiling="$bench_dir/ceiling"
if [[ ! -x "$ceiling" || "$repo/bench/ceiling.c" -nt "$ceiling" ]]; then
    log "cc -O2 -pthread bench/ceiling.c -lfcgi"
    cc -O2 -pthread -o "$ceiling" "$repo/bench/ceiling.c" -lfcgi
fi

# ---- start ------------------------------------------------------------------------
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

export RATE_LIMITS=off
ensure_dev_env "$repo/.run/dev.env"
load_env_file "$repo/.run/dev.env"
export HH_CLIENT_ID="${HH_CLIENT_ID:-dev-client}"
export HH_CLIENT_SECRET="${HH_CLIENT_SECRET:-dev-secret}"
export HH_REDIRECT_URI="${HH_REDIRECT_URI:-http://127.0.0.1:$port/auth/callback}"
export HH_AUTHORIZE_URL="${HH_AUTHORIZE_URL:-http://127.0.0.1:$standin_port/oauth/authorize}"
export HH_TOKEN_URL="${HH_TOKEN_URL:-http://127.0.0.1:$standin_port/token}"
export HH_API_URL="${HH_API_URL:-http://127.0.0.1:$standin_port}"
export DATABASE_PATH="$bench_dir/hh-auth.sqlite3"
rm -f "$DATABASE_PATH" "$DATABASE_PATH-wal" "$DATABASE_PATH-shm"

standin_socket=""
if [[ "${BENCH_STANDIN:-0}" == 1 ]]; then
    standin_socket="$bench_dir/hh-standin.sock"
    export STANDIN_CLIENT_ID="$HH_CLIENT_ID" STANDIN_CLIENT_SECRET="$HH_CLIENT_SECRET" STANDIN_REDIRECT_URI="$HH_REDIRECT_URI"
    rm -f "$standin_socket"
    FCGI_SOCKET="$standin_socket" start_bg hh-standin "$bench_dir/hh-standin.log" "$bin_dir/hh-standin"
    wait_socket "$standin_socket" "$STACK_LAST_PID" hh-standin
    export INITIAL_ALLOWED_USERS="${INITIAL_ALLOWED_USERS:-${STANDIN_DEFAULT_USER_ID:-100000001}}"
fi

service_socket="$bench_dir/hh-auth.sock"
rm -f "$service_socket"
FCGI_SOCKET="$service_socket" start_bg hh-auth "$bench_dir/hh-auth.log" "$bin_dir/hh-auth" serve
service_pid=$STACK_LAST_PID
wait_socket "$service_socket" "$service_pid" hh-auth

ceiling_socket="$bench_dir/ceiling.sock"
start_bg ceiling "$bench_dir/ceiling.log" "$ceiling" "$ceiling_socket" "${CEILING_THREADS:-128}"
wait_socket "$ceiling_socket" "$STACK_LAST_PID" ceiling

start_nginx() { # NAME PORT SOCKET [STANDIN_SOCKET]
    local prefix="$bench_dir/nginx-$1" ncmd
    NGINX_PREFIX="$prefix" HTTP_PORT="$2" HTTPS_PORT="" SERVICE_SOCKET="$3" \
        STANDIN_SOCKET="${4:-}" STANDIN_PORT="$standin_port" RATE_LIMITS=off \
        "$repo/scripts/render-nginx.sh" >/dev/null
    mapfile -t ncmd < <(nginx_cmd "$prefix")
    start_bg "nginx-$1" "$prefix/stdout.log" "${ncmd[@]}"
    wait_http "http://127.0.0.1:$2/" "$STACK_LAST_PID" "nginx-$1"
}
start_nginx service "$port" "$service_socket" "$standin_socket"
start_nginx ceiling "$ceiling_port" "$ceiling_socket"

# ---- measure ----------------------------------------------------------------------
declare -A RPS P50 P99 ERRORS
ROUTES=()
target=""
target_url=""

to_ms() { # wrk latency (e.g. 812.00us, 1.23ms, 1.01s) -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

# bench_route NAME METHOD PATH [LUA_SCRIPT]: measure one route on $target.
bench_route() {
    local name="$1" method="$2" path="$3" script="${4:-}" out key
    if [[ -z "$script" && "$method" != GET ]]; then
        script="$bench_dir/method-$method.lua"
        printf 'wrk.method = "%s"\n' "$method" >"$script"
    fi
    local args=(-t"$threads" -c"$connections" --latency)
    [[ -z "$script" ]] || args+=(-s "$script")
    local status
    status="$(curl -s -o /dev/null -w '%{http_code}' -X "$method" "$target_url$path")"
    [[ "$status" =~ ^[23] ]] || warn "$target $method $path answers $status before the run"
    wrk "${args[@]}" -d"$warmup" "$target_url$path" >/dev/null
    log "$target: $method $path  (wrk ${args[*]} -d$duration)"
    out="$(wrk "${args[@]}" -d"$duration" "$target_url$path")"
    printf '%s\n' "$out" >"$bench_dir/wrk-$target-$name.txt"
    key="$target:$name"
    RPS[$key]="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")"
    P50[$key]="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    P99[$key]="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    ERRORS[$key]="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) n += $i} END {print n + 0}' <<<"$out")"
    [[ " ${ROUTES[*]} " == *" $name "* ]] || ROUTES+=("$name")
}

target=service; target_url="http://127.0.0.1:$port"
service_routes
rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$service_pid/status")"
hwm_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$service_pid/status")"

target=ceiling; target_url="http://127.0.0.1:$ceiling_port"
bench_route health GET /health

# ---- report -----------------------------------------------------------------------
cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
machine="$(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r)"
wrk_cmd="wrk -t$threads -c$connections -d$duration --latency (after a $warmup warm-up), through nginx (2 workers, upstream keepalive 32, fastcgi_keep_conn on, access log on), RATE_LIMITS=off"
ceiling_rps="${RPS[ceiling:health]}"

table="| route | target | req/s | p50 ms | p99 ms | errors | % of ceiling |
|---|---|---:|---:|---:|---:|---:|"
for name in "${ROUTES[@]}"; do
    key="service:$name"
    [[ -n "${RPS[$key]:-}" ]] || continue
    ratio="$(awk -v a="${RPS[$key]}" -v b="$ceiling_rps" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')"
    table+=$'\n'"| $name | hh-auth | ${RPS[$key]} | ${P50[$key]} | ${P99[$key]} | ${ERRORS[$key]} | $ratio |"
done
table+=$'\n'"| health | C ceiling | $ceiling_rps | ${P50[ceiling:health]} | ${P99[ceiling:health]} | ${ERRORS[ceiling:health]} | 100% |"
rss_line="hh-auth RSS after the run: $((rss_kb / 1024)) MiB (VmRSS $rss_kb kB, peak VmHWM $hwm_kb kB)"

echo
echo "$table"
echo
echo "$rss_line"
echo "machine: $machine"

if [[ "${BENCH_RECORD:-1}" == 1 ]]; then
    file="$repo/BENCHMARKS.md"
    [[ -f "$file" ]] || printf '# Benchmarks\n\nAppended by make bench (scripts/bench.sh), newest last.\n' >"$file"
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
        echo
        echo "- command: \`make bench\` — $wrk_cmd"
        echo "- machine: $machine"
        echo "- $rss_line"
        echo
        echo "$table"
    } >>"$file"
    log "appended to BENCHMARKS.md"
fi
