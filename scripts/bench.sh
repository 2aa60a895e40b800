#!/usr/bin/env bash
# Throughput benchmark: hh-auth behind nginx, every route beside a C libfcgi "ceiling"
# (bench/ceiling.c) behind the same nginx configuration. `make bench` runs it.
#
#   scripts/bench.sh
#
# What it does:
#   1. a fresh database: `hh-auth migrate`, then BENCH_AUDIT_EVENTS audit events with a valid
#      hash chain (bench/seed_audit.py);
#   2. starts hh-standin, hh-auth, nginx for both, and the ceiling; puts BENCH_USERS HH ids on
#      the whitelist and signs in BENCH_SESSIONS times through the real login flow
#      (bench/hhload.py: /auth/login -> stand-in authorize -> /auth/callback -> /auth/exchange);
#      `hh-auth audit verify` must then pass; hh-auth is restarted so its memory starts fresh;
#   3. wrk (bench/route.lua: a random session per request, counts non-2xx) against
#      GET /health, POST /auth/token and GET /users/me (Bearer), GET /admin/audit-log?limit=100
#      and ...&offset=900000 (Basic), and /health on the ceiling; after each route the
#      service's VmHWM (peak RSS so far) and the load average are taken;
#   4. `hh-auth audit export --format jsonl` of everything and of the newest ~10%, under
#      /usr/bin/time -v (events/s, peak RSS: the two peaks must match for memory to be flat);
#   5. one table, the targets with pass/FAIL, appended to BENCHMARKS.md.
#
# Environment (defaults in brackets):
#   BENCH_SKIP_BUILD  [0]      1 = do not run `swift build -c release`
#   HH_AUTH_BIN_DIR   [swift build -c release --show-bin-path]
#   BENCH_THREADS [2]  BENCH_CONNECTIONS [32]  BENCH_DURATION [10s]  BENCH_WARMUP [2s]
#   BENCH_TIMEOUT [10s]  wrk --timeout: slower answers count as errors (socket timeouts)
#   BENCH_USERS [1000]  BENCH_SESSIONS [3000]  BENCH_AUDIT_EVENTS [1000000]
#   BENCH_AUDIT_OFFSET [900000]  the deep page
#   BENCH_PORT [18180] BENCH_CEILING_PORT [18181] BENCH_STANDIN_PORT [18190]  nginx ports
#   CEILING_THREADS   [128]    ceiling threads (>= connections nginx keeps open)
#   BENCH_RECORD      [1]      0 = do not append to BENCHMARKS.md
#   BENCH_STRICT      [0]      1 = exit 1 when a target fails
#   BENCH_DIR         [.run/bench]
# Rate limits are off (RATE_LIMITS=off) for nginx and the service.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

threads="${BENCH_THREADS:-2}"
connections="${BENCH_CONNECTIONS:-32}"
duration="${BENCH_DURATION:-10s}"
warmup="${BENCH_WARMUP:-2s}"
timeout="${BENCH_TIMEOUT:-10s}"
port="${BENCH_PORT:-18180}"
ceiling_port="${BENCH_CEILING_PORT:-18181}"
standin_port="${BENCH_STANDIN_PORT:-18190}"
users="${BENCH_USERS:-1000}"
sessions="${BENCH_SESSIONS:-3000}"
audit_events="${BENCH_AUDIT_EVENTS:-1000000}"
audit_offset="${BENCH_AUDIT_OFFSET:-900000}"
bench_dir="${BENCH_DIR:-$repo/.run/bench}"

command -v wrk >/dev/null || die "wrk is missing (make deps-bench)"
command -v nginx >/dev/null || die "nginx is missing (make deps)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"

# ---- build ------------------------------------------------------------------------
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "swift build -c release (the two executables)"
    swift build -c release --product hh-auth
    swift build -c release --product hh-standin
fi
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build -c release --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth"

mkdir -p "$bench_dir"
ceiling="$bench_dir/ceiling"
if [[ ! -x "$ceiling" || "$repo/bench/ceiling.c" -nt "$ceiling" ]]; then
    log "cc -O2 -pthread bench/ceiling.c -lfcgi"
    cc -O2 -pthread -o "$ceiling" "$repo/bench/ceiling.c" -lfcgi
fi

# ---- seed and start -------------------------------------------------------------------
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
bench_env "$bench_dir" "$port" "$standin_port"
bench_dir="$BENCH_DIR_ABS"
bench_migrate "$bin_dir"
log "seeding $audit_events audit events (bench/seed_audit.py)"
python3 "$repo/bench/seed_audit.py" "$DATABASE_PATH" --events "$audit_events" --users "$users" >&2

bench_start_standin "$bin_dir"
bench_start_service "$bin_dir"
bench_start_nginx service "$port" "$BENCH_SERVICE_SOCKET" "$BENCH_STANDIN_SOCKET"

ceiling_socket="$bench_dir/ceiling.sock"
start_bg ceiling "$bench_dir/ceiling.log" "$ceiling" "$ceiling_socket" "${CEILING_THREADS:-128}"
ceiling_pid=$STACK_LAST_PID
wait_socket "$ceiling_socket" "$ceiling_pid" ceiling
bench_start_nginx ceiling "$ceiling_port" "$ceiling_socket"

sessions_file="$bench_dir/sessions.txt"
log "seeding: $users users on the whitelist, $sessions sessions through the login flow"
bench_seed_sessions "$users" "$sessions" "$sessions_file" >&2
log "hh-auth audit verify"
verify="$("$bin_dir/hh-auth" audit verify)" || die "audit chain broken after seeding: $verify"
log "$verify"
total_events="$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit_events").fetchone()[0])' "$DATABASE_PATH")"

log "restarting hh-auth (memory numbers start from a fresh process)"
bench_stop_service 15
bench_start_service "$bin_dir"
service_pid=$BENCH_SERVICE_PID

# ---- measure ----------------------------------------------------------------------
declare -A RPS P50 P99 ERRORS HWM ANON LOAD
ROWS=()
admin_auth="Basic $(printf 'admin:%s' "$BENCH_ADMIN_PASSWORD" | base64 -w0)"

to_ms() { # wrk latency (e.g. 812.00us, 1.23ms, 1.01s) -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

# bench_route KEY TARGET_URL PID METHOD PATH [SESSIONS_FILE] [AUTHORIZATION]
bench_route() {
    local key="$1" url="$2" pid="$3" method="$4" path="$5" sfile="${6:-}" auth="${7:-}" out
    local args=(-t"$threads" -c"$connections" --latency --timeout "$timeout" -s "$repo/bench/route.lua")
    local curl_args=(-s -o /dev/null -w '%{http_code}' -X "$method")
    if [[ -n "$sfile" ]]; then curl_args+=(-H "Authorization: Bearer $(head -n1 "$sfile")"); fi
    if [[ -n "$auth" ]]; then curl_args+=(-H "Authorization: $auth"); fi
    local status
    status="$(curl "${curl_args[@]}" "$url$path")"
    [[ "$status" =~ ^2 ]] || warn "$method $url$path answers $status before the run"
    export BENCH_METHOD="$method" BENCH_SESSIONS_FILE="$sfile" BENCH_AUTH="$auth"
    wrk "${args[@]}" -d"$warmup" "$url$path" >/dev/null
    log "$method $url$path  (wrk ${args[*]} -d$duration)"
    out="$(wrk "${args[@]}" -d"$duration" "$url$path")"
    printf '%s\n' "$out" >"$bench_dir/wrk-${key//[^A-Za-z0-9]/_}.txt"
    RPS[$key]="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")"
    P50[$key]="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    P99[$key]="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    ERRORS[$key]="$(awk '/^non-2xx:/ {n += $2} /Socket errors:/ {gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) n += $i} END {print n + 0}' <<<"$out")"
    HWM[$key]="$(proc_kib "$pid" VmHWM)"
    ANON[$key]="$(proc_kib "$pid" RssAnon)"
    LOAD[$key]="$(bench_load)"
    ROWS+=("$key")
}

bench_route "ceiling GET /health" "http://127.0.0.1:$ceiling_port" "$ceiling_pid" GET /health
svc="http://127.0.0.1:$port"
bench_route "GET /health" "$svc" "$service_pid" GET /health
bench_route "POST /auth/token" "$svc" "$service_pid" POST /auth/token "$sessions_file"
bench_route "GET /users/me" "$svc" "$service_pid" GET /users/me "$sessions_file"
bench_route "GET /admin/audit-log?limit=100" "$svc" "$service_pid" GET "/admin/audit-log?limit=100" "" "$admin_auth"
bench_route "GET /admin/audit-log?limit=100&offset=$audit_offset" "$svc" "$service_pid" GET \
    "/admin/audit-log?limit=100&offset=$audit_offset" "" "$admin_auth"

# The audit pages once more on one connection: service time without queueing behind 31 others.
single_line=""
for path in "/admin/audit-log?limit=100" "/admin/audit-log?limit=100&offset=$audit_offset"; do
    export BENCH_METHOD=GET BENCH_SESSIONS_FILE="" BENCH_AUTH="$admin_auth"
    out="$(wrk -t1 -c1 -d3s --latency --timeout "$timeout" -s "$repo/bench/route.lua" "$svc$path")"
    single_line+="${single_line:+; }GET $path: p50 $(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")") ms, p99 $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") ms, $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out") req/s"
done
log "one connection: $single_line"

# export: everything, then the newest ~10% (same peak RSS = memory does not grow with the count)
export_run() { # NAME [--since DATE]
    local name="$1" timefile="$bench_dir/export-$1.time" lines
    shift
    lines="$(/usr/bin/time -v -o "$timefile" "$bin_dir/hh-auth" audit export --format jsonl "$@" | wc -l)"
    EXPORT_LINES[$name]="$lines"
    EXPORT_RSS[$name]="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$timefile")"
    EXPORT_SECONDS[$name]="$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$timefile")"
}
declare -A EXPORT_LINES EXPORT_RSS EXPORT_SECONDS
total_events="$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit_events").fetchone()[0])' "$DATABASE_PATH")"
log "hh-auth audit export --format jsonl ($total_events events)"
export_run all
since_time="$(python3 -c 'import sqlite3, sys; print(int(sqlite3.connect(sys.argv[1]).execute("select created_at from audit_events order by id desc limit 1 offset ?", (int(sys.argv[2]),)).fetchone()[0]))' "$DATABASE_PATH" "$((total_events / 10))")"
since="$(date -u -d "@$since_time" +%Y-%m-%dT%H:%M:%SZ)"
export_run tenth --since "$since"
export_load="$(bench_load)"
export_rate="$(awk -v n="${EXPORT_LINES[all]}" -v s="${EXPORT_SECONDS[all]}" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')"

# ---- report -----------------------------------------------------------------------
ceiling_rps="${RPS[ceiling GET /health]}"
mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
pct() { awk -v a="$1" -v b="$ceiling_rps" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }
# shellcheck disable=SC2317  # called through check
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# shellcheck disable=SC2317
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

TARGETS=()
failed=0
check() { # DESCRIPTION CONDITION-COMMAND...
    local what="$1"
    shift
    if "$@"; then TARGETS+=("pass  $what"); else TARGETS+=("FAIL  $what"); failed=$((failed + 1)); fi
}
# shellcheck disable=SC2317
zero() { [[ "$1" == 0 ]]; }

k="GET /health"
check "/health >= 90% of the ceiling ($(pct "${RPS[$k]}"))" ge "${RPS[$k]}" "$(awk -v c="$ceiling_rps" 'BEGIN {print 0.9 * c}')"
check "/health p99 < 10 ms (${P99[$k]} ms)" lt "${P99[$k]}" 10
check "/health peak RSS < 40 MiB ($(mib "${HWM[$k]}") MiB)" lt "${HWM[$k]}" 40960
check "/health zero errors (${ERRORS[$k]})" zero "${ERRORS[$k]}"
for k in "POST /auth/token" "GET /users/me"; do
    check "$k >= 70% of the ceiling ($(pct "${RPS[$k]}"))" ge "${RPS[$k]}" "$(awk -v c="$ceiling_rps" 'BEGIN {print 0.7 * c}')"
    check "$k p99 < 10 ms (${P99[$k]} ms)" lt "${P99[$k]}" 10
    check "$k zero errors (${ERRORS[$k]})" zero "${ERRORS[$k]}"
done
k="GET /admin/audit-log?limit=100"
check "audit log first page p99 < 10 ms (${P99[$k]} ms)" lt "${P99[$k]}" 10
check "audit log first page zero errors (${ERRORS[$k]})" zero "${ERRORS[$k]}"
k="GET /admin/audit-log?limit=100&offset=$audit_offset"
check "audit log offset $audit_offset p99 < 50 ms (${P99[$k]} ms)" lt "${P99[$k]}" 50
check "audit log offset $audit_offset zero errors (${ERRORS[$k]})" zero "${ERRORS[$k]}"
check "export >= 200k events/s ($export_rate/s)" ge "$export_rate" 200000
check "export memory flat: peak RSS of all events <= peak of ~10% + 8 MiB ($(mib "${EXPORT_RSS[all]}") vs $(mib "${EXPORT_RSS[tenth]}") MiB)" \
    lt "${EXPORT_RSS[all]}" "$((EXPORT_RSS[tenth] + 8192))"
check "export wrote every event (${EXPORT_LINES[all]} of $total_events)" [ "${EXPORT_LINES[all]}" == "$total_events" ]

table="| route | req/s | % of ceiling | p50 ms | p99 ms | errors | peak RSS MiB | anon RSS MiB | load avg |
|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for key in "${ROWS[@]}"; do
    label="$key"
    [[ "$key" == ceiling* ]] && label="C ceiling: GET /health"
    table+=$'\n'"| $label | ${RPS[$key]} | $(pct "${RPS[$key]}") | ${P50[$key]} | ${P99[$key]} | ${ERRORS[$key]} | $(mib "${HWM[$key]}") | $(mib "${ANON[$key]}") | ${LOAD[$key]} |"
done
table+=$'\n'"| \`hh-auth audit export --format jsonl\` ($total_events events) | ${export_rate} events/s | — | — | — | — | $(mib "${EXPORT_RSS[all]}") | — | $export_load |"
table+=$'\n'"| same, \`--since\` newest ${EXPORT_LINES[tenth]} events | $(awk -v n="${EXPORT_LINES[tenth]}" -v s="${EXPORT_SECONDS[tenth]}" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }') events/s | — | — | — | — | $(mib "${EXPORT_RSS[tenth]}") | — | $export_load |"

targets="$(printf '%s\n' "${TARGETS[@]}")"
machine="$(bench_machine)"
upstream_keepalive="$(awk '/keepalive [0-9]+;/ {gsub(";", "", $2); print $2; exit}' "$repo/nginx/dev/nginx.conf.template")"
wrk_cmd="wrk -t$threads -c$connections -d$duration --latency --timeout $timeout -s bench/route.lua (after a $warmup warm-up) per route, through nginx (2 workers, upstream keepalive ${upstream_keepalive:-?}, fastcgi_keep_conn on, access log on), RATE_LIMITS=off"
data_line="data: $total_events audit events ($audit_events seeded with a valid chain by bench/seed_audit.py, the rest written by the service; \`hh-auth audit verify\`: $verify), $users whitelisted users, $sessions sessions made through the real login flow against hh-standin; /auth/token and /users/me pick a random session per request (Bearer)"
notes="errors = non-2xx answers (counted by bench/route.lua) + wrk socket errors; peak RSS = the process's VmHWM after that route (hh-auth restarted after seeding, so it is cumulative down the table; the ceiling row is the C responder's); anon RSS = RssAnon at that moment (heap and stacks: the rest of RSS is file-backed code of the Swift runtime, Foundation and the binary, about 35 MiB, shared and clean); export: /usr/bin/time -v, events/s = lines / wall time; the per-route load average includes the benchmark's own processes (wrk, nginx and the backend keep both cores busy)"

echo
echo "$table"
echo
echo "$targets"
echo
echo "audit log on one connection (wrk -t1 -c1 -d3s): $single_line"
echo "machine: $machine"
echo "load average: at start $load_start; at the end $(cat /proc/loadavg)"

if [[ "${BENCH_RECORD:-1}" == 1 ]]; then
    file="$repo/BENCHMARKS.md"
    [[ -f "$file" ]] || printf '# Benchmarks\n\nAppended by make bench (scripts/bench.sh), newest last.\n' >"$file"
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — make bench, $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo 'no commit')$(git -C "$repo" diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes in Sources')"
        echo
        echo "- command: \`make bench\` — $wrk_cmd"
        echo "- machine: $machine"
        echo "- load average (1/5/15 min): at start $load_start; at the end $(cut -d' ' -f1-3 /proc/loadavg); per route in the table$(awk -v l="${load_start%% *}" 'BEGIN { if (l >= 1.5) print " — **other work was running (load >= 1.5): the numbers are low-side**" }')"
        echo "- $data_line"
        echo "- $notes"
        echo "- audit log on one connection (\`wrk -t1 -c1 -d3s\`, no queueing): $single_line"
        echo
        echo "$table"
        echo
        echo "Targets:"
        echo
        echo '```'
        echo "$targets"
        echo '```'
    } >>"$file"
    log "appended to BENCHMARKS.md"
fi
if [[ "${BENCH_STRICT:-0}" == 1 && $failed -gt 0 ]]; then
    exit 1
fi
exit 0
