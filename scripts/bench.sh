#!/usr/bin/env bash
# Throughput benchmark: hh-auth behind nginx, every route against its own like-for-like ceiling,
# on SQLite and on PostgreSQL (one node, and two nodes behind one nginx upstream).
# `make bench` runs it.
#
#   scripts/bench.sh
#
# The ceiling: a C libfcgi responder (bench/ceiling.c, answers 200 to everything) behind a second
# nginx rendered by scripts/render-nginx.sh from the same template as the service's (same worker
# count, upstream keepalive, fastcgi_keep_conn, access log; the report reads these back from the
# rendered nginx.conf files), hit with the SAME requests as the service: method, path and query,
# headers, body, a random session per request. One thing differs: the ceiling answers 20 bytes on
# every route, the service 150-250 on the session routes and ~30 KB on an audit page; nginx and
# wrk (which reads every body) spend more on the larger answers on the same two cores, and that
# counts against the service: the ratios are conservative, most for the audit pages. Each pair
# runs the ceiling first.
#
# What it does:
#   1. starts hh-standin and the ceiling (each behind its nginx);
#   SQLite (BENCH_ENGINES has sqlite):
#   2. a fresh database: `hh-auth migrate`, then BENCH_AUDIT_EVENTS audit events with a valid
#      hash chain (bench/seed_audit.py);
#   3. starts hh-auth and its nginx; puts BENCH_USERS HH ids on the whitelist and signs in
#      BENCH_SESSIONS times through the real login flow (bench/hhload.py: /auth/login ->
#      stand-in authorize -> /auth/callback -> /auth/exchange); `hh-auth audit verify` must
#      then pass; hh-auth is restarted so its memory starts fresh;
#   4. wrk (bench/route.lua) against eight routes, the session ones in both call styles:
#        GET /health
#        POST /auth/token (body)              JSON {"session_id": "<id>"}, as the clients call it
#        POST /auth/token (Bearer)            Authorization: Bearer <id>
#        GET /users/me?session_id= (query)    as the clients call it
#        GET /users/me (Bearer)
#        GET /demo/ (cookie)                  the development stack's protected page: nginx
#                                             auth_request to /auth/verify (the ceiling's answers
#                                             it like hh-auth), then nginx's own SSI page
#        GET /admin/audit-log?limit=100 (Basic)
#        GET /admin/audit-log?limit=100&offset=BENCH_AUDIT_OFFSET (Basic)
#      BENCH_ROUNDS rounds; in each, for each route, a ceiling run then a service run (same wrk
#      settings, warm-up first): interleaved pairs, so the noise of this shared machine hits both
#      sides of a pair alike. ratio = service req/s / ceiling req/s of the pair. Reported per
#      route: the MEDIAN ratio and the SPREAD (min-max of the ratios), the ratio of each round,
#      median req/s, p50 and p99, errors summed over the rounds; hh-auth's peak RSS (VmHWM) and
#      RssAnon after the last service run;
#      then the two audit pages once more on one connection (no queueing);
#   5. `hh-auth audit export --format jsonl` of everything and of the newest ~10%, under
#      /usr/bin/time -v (events/s, peak RSS: the two peaks must match for memory to be flat);
#      hh-auth on SQLite stops;
#   PostgreSQL (BENCH_ENGINES has postgresql):
#   6. a throwaway cluster (scripts/pg-cluster.sh in a temporary directory, stopped and removed at
#      exit; max_connections raised to 100 for two nodes' 32 worker connections each);
#      DATABASE_URL selects it; `hh-auth migrate`; node A and an nginx in front of it alone; the
#      same whitelist and sign-ins through the real login flow as on SQLite, `hh-auth audit
#      verify` (its result goes in the report); node A restarted, node B started with the same
#      settings, an nginx whose one upstream has both (SERVICE_SOCKETS of render-nginx.sh);
#      no audit seeding (bench/seed_audit.py writes SQLite): the audit pages are not run here;
#   7. the session routes as the clients call them ((body), (query)), the cookie and /health
#      (BENCH_PG_ROUTES=all adds the two Bearer rows), BENCH_PG_ROUNDS rounds; in each, per
#      route, the ceiling, then one node, then two nodes: both ratios to that ceiling run;
#   8. one table (an engine column), the targets with pass/FAIL, appended to BENCHMARKS.md
#      (scripts/lib/bench-report.sh).
# Time: the wrk runs take ROUNDS x 8 routes x 2 x (warm-up + duration) = 3 x 8 x 2 x 12 s on
# SQLite and PG_ROUNDS x 4 routes x 3 x 12 s on PostgreSQL, about 10 + 7 min with the defaults,
# plus about two minutes for seeding, the one-connection runs and the export.
#
# Environment (defaults in brackets):
#   BENCH_SKIP_BUILD  [0]      1 = do not run `swift build -c release`
#   HH_AUTH_BIN_DIR   [swift build -c release --show-bin-path]
#   BENCH_ENGINES     [sqlite postgresql]  which engines to run (either or both)
#   BENCH_ROUNDS      [3]      ceiling/service pairs per route (the median needs >= 3)
#   BENCH_PG_ROUNDS   [BENCH_ROUNDS]  rounds of (ceiling, one node, two nodes) on PostgreSQL
#   BENCH_PG_ROUTES   [clients]  clients = /health, (body), (query), the cookie; all = also Bearer
#   SESSION_CACHE_MS  [unset: hh-auth's default, 100]  passed to the PostgreSQL nodes; 0 = every
#                              session lookup asks PostgreSQL (no per-node memory)
#   BENCH_THREADS [2]  BENCH_CONNECTIONS [32]  BENCH_DURATION [10s]  BENCH_WARMUP [2s]
#   BENCH_TIMEOUT [10s]  wrk --timeout: slower answers count as errors (socket timeouts)
#   BENCH_USERS [1000]  BENCH_SESSIONS [3000]  BENCH_AUDIT_EVENTS [1000000]
#   BENCH_AUDIT_OFFSET [900000]  the deep page
#   BENCH_PORT [18180] BENCH_CEILING_PORT [18181] BENCH_STANDIN_PORT [18190]
#   BENCH_PG_PORT [18182] (one node) BENCH_PG2_PORT [18183] (two nodes)  nginx ports
#   CEILING_THREADS   [128]    ceiling threads (>= connections nginx keeps open)
#   BENCH_RECORD      [1]      0 = do not append to BENCHMARKS.md
#   BENCH_STRICT      [0]      1 = exit 1 when a target fails
#   BENCH_DIR         [.run/bench]
#   BENCH_ONLY        []       an extended regex: only the routes whose key matches (for looking
#                              into one route; such a run is not recorded unless BENCH_RECORD=1)
# bench/route.lua reads BENCH_STYLE (bearer, body or query: how the session travels; see there),
# BENCH_METHOD, BENCH_SESSIONS_FILE and BENCH_AUTH, set here per route.
# Rate limits are off (RATE_LIMITS=off) for nginx and the service.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
# shellcheck source=scripts/lib/bench-report.sh
source "$repo/scripts/lib/bench-report.sh"
cd "$repo"

engines="${BENCH_ENGINES:-sqlite postgresql}"
run_sqlite=0
run_pg=0
for engine in $engines; do
    case "$engine" in
        sqlite) run_sqlite=1 ;;
        postgresql) run_pg=1 ;;
        *) die "BENCH_ENGINES takes sqlite and/or postgresql, not '$engine'" ;;
    esac
done
((run_sqlite + run_pg > 0)) || die "BENCH_ENGINES names no engine"
rounds="${BENCH_ROUNDS:-3}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number, not '$rounds'"
((rounds >= 3)) || warn "BENCH_ROUNDS=$rounds: a median of fewer than three rounds says little on this machine"
pg_rounds="${BENCH_PG_ROUNDS:-$rounds}"
[[ "$pg_rounds" =~ ^[1-9][0-9]*$ ]] || die "BENCH_PG_ROUNDS must be a positive number, not '$pg_rounds'"
pg_routes="${BENCH_PG_ROUTES:-clients}"
[[ "$pg_routes" == clients || "$pg_routes" == all ]] || die "BENCH_PG_ROUTES must be clients or all, not '$pg_routes'"
threads="${BENCH_THREADS:-2}"
connections="${BENCH_CONNECTIONS:-32}"
duration="${BENCH_DURATION:-10s}"
warmup="${BENCH_WARMUP:-2s}"
timeout="${BENCH_TIMEOUT:-10s}"
port="${BENCH_PORT:-18180}"
ceiling_port="${BENCH_CEILING_PORT:-18181}"
standin_port="${BENCH_STANDIN_PORT:-18190}"
pg_port="${BENCH_PG_PORT:-18182}"
pg2_port="${BENCH_PG2_PORT:-18183}"
users="${BENCH_USERS:-1000}"
sessions="${BENCH_SESSIONS:-3000}"
audit_events="${BENCH_AUDIT_EVENTS:-1000000}"
audit_offset="${BENCH_AUDIT_OFFSET:-900000}"
bench_dir="${BENCH_DIR:-$repo/.run/bench}"

command -v wrk >/dev/null || die "wrk is missing (make deps-bench)"
command -v nginx >/dev/null || die "nginx is missing (make deps)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
((run_pg == 0)) || command -v psql >/dev/null || die "psql is missing (make deps-bench installs postgresql)"

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

# ---- the routes -------------------------------------------------------------------
# KEY METHOD PATH STYLE (none, basic = the admin's Authorization header, or a BENCH_STYLE of
# bench/route.lua: bearer, cookie, body, query).
ROUTES=()
declare -A ROUTE_METHOD ROUTE_PATH ROUTE_STYLE
route() { ROUTES+=("$1"); ROUTE_METHOD[$1]="$2"; ROUTE_PATH[$1]="$3"; ROUTE_STYLE[$1]="$4"; }
route "GET /health" GET /health none
route "POST /auth/token (body)" POST /auth/token body
route "POST /auth/token (Bearer)" POST /auth/token bearer
route "GET /users/me?session_id= (query)" GET /users/me query
route "GET /users/me (Bearer)" GET /users/me bearer
route "GET /demo/ (cookie, auth_request)" GET /demo/ cookie
route "GET /admin/audit-log?limit=100 (Basic)" GET "/admin/audit-log?limit=100" basic
route "GET /admin/audit-log?limit=100&offset=$audit_offset (Basic)" GET "/admin/audit-log?limit=100&offset=$audit_offset" basic

# Each engine's routes: SQLite all of them; PostgreSQL has no seeded audit trail (no audit pages)
# and, unless BENCH_PG_ROUTES=all, the session routes only as the clients call them.
SQLITE_ROUTES=()
PG_ROUTES=()
for key in "${ROUTES[@]}"; do
    [[ -z "${BENCH_ONLY:-}" || "$key" =~ $BENCH_ONLY ]] || continue
    ((run_sqlite == 0)) || SQLITE_ROUTES+=("$key")
    case "${ROUTE_STYLE[$key]}" in
        basic) ;;
        bearer) [[ "$pg_routes" != all || $run_pg == 0 ]] || PG_ROUTES+=("$key") ;;
        *) ((run_pg == 0)) || PG_ROUTES+=("$key") ;;
    esac
done
if [[ -n "${BENCH_ONLY:-}" ]]; then
    ((${#SQLITE_ROUTES[@]} + ${#PG_ROUTES[@]} > 0)) || die "BENCH_ONLY='$BENCH_ONLY' matches no route of BENCH_ENGINES"
    export BENCH_RECORD="${BENCH_RECORD:-0}"
fi
((${#SQLITE_ROUTES[@]} + ${#PG_ROUTES[@]} > 0)) || die "no route to run (BENCH_ENGINES=$engines, BENCH_PG_ROUTES=$pg_routes)"
if ((run_pg && ${#PG_ROUTES[@]} == 0)); then
    log "BENCH_ONLY matches no route that runs on PostgreSQL: SQLite only"
    run_pg=0
fi

# ---- start what both engines share ----------------------------------------------------
# stop_all first: the nodes' connections go before their cluster does.
trap 'stop_all; bench_stop_postgresql' EXIT
trap 'exit 130' INT TERM

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
bench_env "$bench_dir" "$port" "$standin_port"
bench_dir="$BENCH_DIR_ABS"
bench_start_standin "$bin_dir"
# The stand-in's server block (for the login flow) goes in the first nginx in front of hh-auth.
standin_socket="$BENCH_STANDIN_SOCKET"

ceiling_socket="$bench_dir/ceiling.sock"
start_bg ceiling "$bench_dir/ceiling.log" "$ceiling" "$ceiling_socket" "${CEILING_THREADS:-128}"
ceiling_pid=$STACK_LAST_PID
wait_socket "$ceiling_socket" "$ceiling_pid" ceiling
bench_start_nginx ceiling "$ceiling_port" "$ceiling_socket"

sessions_file="$bench_dir/sessions.txt"
ceiling_url="http://127.0.0.1:$ceiling_port"
admin_auth="Basic $(printf 'admin:%s' "$BENCH_ADMIN_PASSWORD" | base64 -w0)"
wrk_args=(-t"$threads" -c"$connections" --latency --timeout "$timeout" -s "$repo/bench/route.lua")

# The sides of a run and where they are: ceiling (paired with the SQLite service), service
# (hh-auth on SQLite), pg-ceiling (paired with PostgreSQL), pg1 (one node), pg2 (two nodes).
declare -A SIDE_URL=([ceiling]="$ceiling_url" [pg-ceiling]="$ceiling_url"
    [service]="http://127.0.0.1:$port" [pg1]="http://127.0.0.1:$pg_port" [pg2]="http://127.0.0.1:$pg2_port")

route_env() { # KEY: bench/route.lua's settings for the route
    export BENCH_METHOD="${ROUTE_METHOD[$1]}" BENCH_STYLE="" BENCH_SESSIONS_FILE="" BENCH_AUTH=""
    case "${ROUTE_STYLE[$1]}" in
        none) ;;
        basic) BENCH_AUTH="$admin_auth" ;;
        bearer | cookie | body | query) BENCH_STYLE="${ROUTE_STYLE[$1]}" BENCH_SESSIONS_FILE="$sessions_file" ;;
        *) die "unknown style ${ROUTE_STYLE[$1]}" ;;
    esac
}

route_status() { # KEY BASE_URL: the status of one request shaped like route.lua's (first session)
    local key="$1" url="$2${ROUTE_PATH[$1]}" id sep
    local args=(-s -o /dev/null -w '%{http_code}' -X "${ROUTE_METHOD[$1]}")
    id="$(head -n1 "$sessions_file")"
    case "${ROUTE_STYLE[$key]}" in
        basic) args+=(-H "Authorization: $admin_auth") ;;
        bearer) args+=(-H "Authorization: Bearer $id") ;;
        cookie) args+=(-H "Cookie: hh_auth_session=$id") ;;
        body) args+=(-H "Content-Type: application/json" --data-binary "{\"session_id\":\"$id\"}") ;;
        query)
            sep='?'
            [[ "$url" == *\?* ]] && sep='&'
            url+="${sep}session_id=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$id")"
            ;;
    esac
    curl "${args[@]}" "$url"
}

to_ms() { # wrk latency (e.g. 812.00us, 1.23ms, 1.01s) -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

# Results, keyed "ROUTE|SIDE|ROUND"; RATIO (in %) keyed the same, for the service sides.
declare -A RPS P50 P99 ERRORS LOAD RATIO

# shellcheck disable=SC2034  # P50 and LOAD are read through a nameref (scripts/lib/bench-report.sh)
measure() { # SIDE KEY ROUND
    local side="$1" key="$2" r="$3" base="${SIDE_URL[$1]}" out id="$2|$1|$3"
    local file="$bench_dir/wrk-r$r-$side-${key//[^A-Za-z0-9]/_}.txt"
    route_env "$key"
    wrk "${wrk_args[@]}" -d"$warmup" "$base${ROUTE_PATH[$key]}" >/dev/null
    out="$(wrk "${wrk_args[@]}" -d"$duration" "$base${ROUTE_PATH[$key]}")"
    printf '%s\n' "$out" >"$file"
    RPS[$id]="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")"
    P50[$id]="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    P99[$id]="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    ERRORS[$id]="$(awk '/^non-2xx:/ {n += $2} /Socket errors:/ {gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) n += $i} END {print n + 0}' <<<"$out")"
    LOAD[$id]="$(bench_load)"
    # A run wrk could not report must not pass as "p99 0 ms".
    [[ -n "${RPS[$id]}" && -n "$(awk '$1 == "99%" {print $2}' <<<"$out")" ]] ||
        die "$side $key: wrk printed no Requests/sec or latency distribution (see $file)"
    [[ "${ERRORS[$id]}" == 0 ]] || warn "$side $key: ${ERRORS[$id]} errors ($(awk '/^first non-2xx status:/ {print "first status " $4}' <<<"$out"))"
}

# measure_rounds ROUNDS CEILING_SIDE SIDE... -- KEY...: each round, per route, a ceiling run and
# then each SIDE's run, each SIDE's ratio to that ceiling run. A route that does not answer 2xx
# before the runs is named (its errors then show in the table).
measure_rounds() {
    local n="$1" ceiling_side="$2" sides=() keys key side r
    shift 2
    while [[ "$1" != -- ]]; do sides+=("$1"); shift; done
    shift
    keys=("$@")
    log "$n rounds x ${#keys[@]} routes x ($ceiling_side, ${sides[*]}): wrk ${wrk_args[*]} -d$duration after a $warmup warm-up"
    for key in "${keys[@]}"; do
        for side in "$ceiling_side" "${sides[@]}"; do
            status="$(route_status "$key" "${SIDE_URL[$side]}")"
            [[ "$status" =~ ^2 ]] || warn "$side $key answers $status before the runs"
        done
    done
    for ((r = 1; r <= n; r++)); do
        for key in "${keys[@]}"; do
            measure "$ceiling_side" "$key" "$r"
            for side in "${sides[@]}"; do
                measure "$side" "$key" "$r"
                RATIO[$key|$side|$r]="$(awk -v s="${RPS[$key|$side|$r]}" -v c="${RPS[$key|$ceiling_side|$r]}" 'BEGIN { if (c > 0) printf "%.1f", 100 * s / c; else print 0 }')"
                log "round $r/$n  $side  $key: ${RPS[$key|$side|$r]} req/s, ceiling ${RPS[$key|$ceiling_side|$r]} -> ${RATIO[$key|$side|$r]}%, p99 ${P99[$key|$side|$r]} ms, errors ${ERRORS[$key|$side|$r]}"
            done
        done
    done
}

# ---- SQLite -------------------------------------------------------------------------
if ((run_sqlite)); then
    bench_migrate "$bin_dir"
    log "seeding $audit_events audit events (bench/seed_audit.py)"
    python3 "$repo/bench/seed_audit.py" "$DATABASE_PATH" --events "$audit_events" --users "$users" >&2

    bench_start_service "$bin_dir"
    bench_start_nginx service "$port" "$BENCH_SERVICE_SOCKET" "$standin_socket"
    standin_socket=""

    log "SQLite: $users users on the whitelist, $sessions sessions through the login flow"
    bench_seed_sessions "$users" "$sessions" "$sessions_file" >&2
    log "hh-auth audit verify"
    verify="$("$bin_dir/hh-auth" audit verify)" || die "audit chain broken after seeding: $verify"
    log "$verify"

    log "restarting hh-auth (memory numbers start from a fresh process)"
    bench_stop_service 15
    bench_start_service "$bin_dir"
    service_pid=$BENCH_SERVICE_PID

    if ((${#SQLITE_ROUTES[@]} > 0)); then
        measure_rounds "$rounds" ceiling service -- "${SQLITE_ROUTES[@]}"
    fi
    HWM="$(proc_kib "$service_pid" VmHWM)"
    ANON="$(proc_kib "$service_pid" RssAnon)"

    # The audit pages once more on one connection: service time without queueing behind 31 others.
    single_line=""
    for key in "${SQLITE_ROUTES[@]}"; do
        [[ "${ROUTE_STYLE[$key]}" == basic ]] || continue
        route_env "$key"
        out="$(wrk -t1 -c1 -d3s --latency --timeout "$timeout" -s "$repo/bench/route.lua" "${SIDE_URL[service]}${ROUTE_PATH[$key]}")"
        single_line+="${single_line:+; }GET ${ROUTE_PATH[$key]}: p50 $(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")") ms, p99 $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") ms, $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out") req/s"
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

    # Off the cores before PostgreSQL's runs (its nginx stays: it serves the stand-in).
    bench_stop_service 15
fi

# ---- PostgreSQL -----------------------------------------------------------------------
if ((run_pg)); then
    bench_start_postgresql 100
    log "PostgreSQL $BENCH_PG_VERSION in $BENCH_PG_DIR: hh-auth migrate"
    bench_migrate "$bin_dir"
    node_a="$bench_dir/hh-auth-a.sock"
    node_b="$bench_dir/hh-auth-b.sock"
    bench_start_node hh-auth-a "$bin_dir" "$node_a"
    bench_start_nginx pg1 "$pg_port" "$node_a" "$standin_socket"

    log "PostgreSQL: $users users on the whitelist, $sessions sessions through the login flow"
    BENCH_SEED_HTTP_PORT="$pg_port" bench_seed_sessions "$users" "$sessions" "$sessions_file" >&2
    # A broken chain here is a finding to report, not a reason to lose the SQLite half's numbers.
    log "hh-auth audit verify (PostgreSQL)"
    pg_verify="$("$bin_dir/hh-auth" audit verify 2>&1)" || { warn "audit verify on PostgreSQL failed: $pg_verify"; pg_verify="FAILED: $pg_verify"; }
    pg_verify="${pg_verify//$'\n'/ }"
    log "$pg_verify"

    log "restarting node A, starting node B (one DATABASE_URL, the same settings)"
    stop_pid "$BENCH_NODE_PID" 15
    bench_start_node hh-auth-a "$bin_dir" "$node_a"
    node_a_pid=$BENCH_NODE_PID
    bench_start_node hh-auth-b "$bin_dir" "$node_b"
    node_b_pid=$BENCH_NODE_PID
    bench_start_nginx pg2 "$pg2_port" "$node_a $node_b"

    measure_rounds "$pg_rounds" pg-ceiling pg1 pg2 -- "${PG_ROUTES[@]}"
    PG_HWM_A="$(proc_kib "$node_a_pid" VmHWM)"
    PG_HWM_B="$(proc_kib "$node_b_pid" VmHWM)"
    pg_events="$(psql -X -A -t -q -d "$BENCH_PG_CONNINFO" -c 'SELECT count(*) FROM audit_events')"
fi

# ---- report (scripts/lib/bench-report.sh) ---------------------------------------------
bench_report
if [[ "${BENCH_STRICT:-0}" == 1 && $REPORT_FAILED -gt 0 ]]; then
    exit 1
fi
exit 0
