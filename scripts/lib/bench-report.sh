# shellcheck shell=bash
# The report of scripts/bench.sh (source it there): per row (a route on one engine, one node or
# two) the medians over the rounds, the spread of the ratios to the ceiling, the targets with
# pass/FAIL, and the section appended to BENCHMARKS.md.
#
#   bench_report    prints the table and the targets, appends them to BENCHMARKS.md unless
#                   BENCH_RECORD=0; sets $REPORT_FAILED (the number of failed targets)
#
# It reads bench.sh's globals: $run_sqlite/$run_pg, $rounds/$pg_rounds, SQLITE_ROUTES/PG_ROUTES,
# ROUTE_STYLE/ROUTE_PATH, the per-run arrays RPS/P50/P99/ERRORS/LOAD and RATIO (in %), keyed
# "ROUTE|SIDE|ROUND" (SIDE: ceiling, service = SQLite; pg-ceiling, pg1, pg2 = PostgreSQL with one
# or two nodes); $HWM and $ANON (hh-auth on SQLite after its last run), $PG_HWM_A/$PG_HWM_B, the
# export results, the settings and the data counts.
# shellcheck disable=SC2154

# round_values ARRAY ROUTE SIDE ROUNDS: that route's value of each round on SIDE, one a line.
round_values() {
    local -n values="$1"
    local r
    for ((r = 1; r <= $4; r++)); do echo "${values[$2|$3|$r]}"; done
}
median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
total() { awk '{n += $1} END {print n + 0}'; }
fmt_num() { awk -v f="$1" '{printf f "\n", $1}'; } # FORMAT: printf each line
mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
# shellcheck disable=SC2317  # called through check
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# shellcheck disable=SC2317
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# shellcheck disable=SC2317
zero() { [[ "$1" == 0 ]]; }

# nginx_setting FILE DIRECTIVE: the first value of DIRECTIVE in a rendered nginx.conf, or "-".
nginx_setting() {
    awk -v d="$2" '$1 == d { $1 = ""; sub(/^ +/, ""); sub(/;.*$/, ""); print; found = 1; exit }
        END { if (!found) print "-" }' "$1"
}

# nginx_shape FILE: what matters for a like-for-like ceiling, read from a rendered nginx.conf.
nginx_shape() {
    local workers access format keepalive
    workers="$(nginx_setting "$1" worker_processes)"
    access="$(nginx_setting "$1" access_log)"
    keepalive="$(nginx_setting "$1" keepalive)"
    if [[ "$access" != off && "$access" != - ]]; then
        read -r _ format <<<"$access"
        access="on (format ${format:-combined})"
    fi
    printf '%s workers, access log %s, upstream keepalive %s' "$workers" "$access" "$keepalive"
}

# The rows: SQLite's routes, then each PostgreSQL route with one node and with two. A row's key is
# "ROUTE|SIDE"; ROW_CEILING is the side its ratios were taken against.
ROWS=()
declare -A ROW_ROUTE ROW_SIDE ROW_CEILING ROW_ROUNDS ROW_ENGINE
add_row() { # ROUTE SIDE CEILING_SIDE ROUNDS ENGINE
    local row="$1|$2"
    ROWS+=("$row")
    ROW_ROUTE[$row]="$1" ROW_SIDE[$row]="$2" ROW_CEILING[$row]="$3" ROW_ROUNDS[$row]="$4" ROW_ENGINE[$row]="$5"
}
collect_rows() {
    local key
    for key in "${SQLITE_ROUTES[@]}"; do add_row "$key" service ceiling "$rounds" SQLite; done
    for key in "${PG_ROUTES[@]}"; do
        add_row "$key" pg1 pg-ceiling "$pg_rounds" "PostgreSQL, 1 node"
        add_row "$key" pg2 pg-ceiling "$pg_rounds" "PostgreSQL, 2 nodes"
    done
}

# Per row: medians over the rounds (CEIL_* the ceiling's), the ratios' spread.
declare -A MED_RPS CEIL_RPS MED_RATIO LO_RATIO HI_RATIO PER_ROUND MED_P50 MED_P99 CEIL_P99 SUM_ERRORS LOADS
summarize() {
    local row key side ceiling n ratios loads
    for row in "${ROWS[@]}"; do
        key="${ROW_ROUTE[$row]}" side="${ROW_SIDE[$row]}" ceiling="${ROW_CEILING[$row]}" n="${ROW_ROUNDS[$row]}"
        ratios="$(round_values RATIO "$key" "$side" "$n" | sort -g)"
        MED_RATIO[$row]="$(median <<<"$ratios" | fmt_num %.1f)"
        LO_RATIO[$row]="$(head -n1 <<<"$ratios" | fmt_num %.0f)"
        HI_RATIO[$row]="$(tail -n1 <<<"$ratios" | fmt_num %.0f)"
        PER_ROUND[$row]="$(round_values RATIO "$key" "$side" "$n" | awk '{printf "%s%.0f", (NR > 1 ? " / " : ""), $1}')"
        MED_RPS[$row]="$(round_values RPS "$key" "$side" "$n" | median | fmt_num %.0f)"
        CEIL_RPS[$row]="$(round_values RPS "$key" "$ceiling" "$n" | median | fmt_num %.0f)"
        MED_P50[$row]="$(round_values P50 "$key" "$side" "$n" | median | fmt_num %.2f)"
        MED_P99[$row]="$(round_values P99 "$key" "$side" "$n" | median | fmt_num %.2f)"
        CEIL_P99[$row]="$(round_values P99 "$key" "$ceiling" "$n" | median | fmt_num %.2f)"
        SUM_ERRORS[$row]="$(round_values ERRORS "$key" "$side" "$n" | total)"
        loads="$(round_values LOAD "$key" "$side" "$n" | sort -g)"
        LOADS[$row]="$(head -n1 <<<"$loads")–$(tail -n1 <<<"$loads")"
    done
    # Each ceiling run once (PostgreSQL's two rows of a route share theirs).
    CEILING_ERRORS=0
    for key in "${SQLITE_ROUTES[@]}"; do
        CEILING_ERRORS=$((CEILING_ERRORS + $(round_values ERRORS "$key" ceiling "$rounds" | total)))
    done
    for key in "${PG_ROUTES[@]}"; do
        CEILING_ERRORS=$((CEILING_ERRORS + $(round_values ERRORS "$key" pg-ceiling "$pg_rounds" | total)))
    done
}

TARGETS=()
REPORT_FAILED=0
check() { # DESCRIPTION CONDITION-COMMAND...
    local what="$1"
    shift
    if "$@"; then TARGETS+=("pass  $what"); else TARGETS+=("FAIL  $what"); REPORT_FAILED=$((REPORT_FAILED + 1)); fi
}
check_ratio() { # ROW PERCENT
    check "${ROW_ROUTE[$1]} >= $2% of the ceiling (median ${MED_RATIO[$1]}%, spread ${LO_RATIO[$1]}–${HI_RATIO[$1]}%)" \
        ge "${MED_RATIO[$1]}" "$2"
}
is_session_style() { [[ "$1" =~ ^(bearer|cookie|body|query)$ ]]; }

report_sqlite_targets() {
    local key row
    for key in "${SQLITE_ROUTES[@]}"; do
        row="$key|service"
        case "${ROUTE_STYLE[$key]}" in
            none) check_ratio "$row" 90 ;;
            bearer | cookie | body | query)
                check_ratio "$row" 80
                # The ceiling's own p99 beside it: at 32 connections p99 follows throughput, and
                # on a slow or busy machine even the ceiling misses the 5 ms (the verdict stays
                # absolute; the figure says how much of the tail is the machine's).
                check "$key p99 < 5 ms (median ${MED_P99[$row]} ms; the ceiling's own ${CEIL_P99[$row]} ms)" \
                    lt "${MED_P99[$row]}" 5
                ;;
            # The audit pages answer 100 events (~30 KB) each: their target is a share of the
            # ceiling, not a latency (32 connections queue behind them; the one-connection line
            # below the table gives the service time).
            basic) check_ratio "$row" 30 ;;
        esac
        check "$key zero errors (${SUM_ERRORS[$row]} over $rounds rounds)" zero "${SUM_ERRORS[$row]}"
    done
    check "hh-auth peak RSS after the bench < 40 MiB ($(mib "$HWM") MiB)" lt "${HWM:-999999999}" 40960
    check "export >= 200k events/s ($export_rate/s)" ge "$export_rate" 200000
    check "export memory flat: peak RSS of all events <= peak of ~10% + 8 MiB ($(mib "${EXPORT_RSS[all]}") vs $(mib "${EXPORT_RSS[tenth]}") MiB)" \
        lt "${EXPORT_RSS[all]}" "$((EXPORT_RSS[tenth] + 8192))"
    check "export wrote every event (${EXPORT_LINES[all]} of $total_events)" [ "${EXPORT_LINES[all]}" == "$total_events" ]
}

# One line for the session routes on one node (issue 14's target), the lowest decides; every
# PostgreSQL row, one node or two, must answer without errors.
report_postgresql_targets() {
    local key row lowest="" medians=""
    for key in "${PG_ROUTES[@]}"; do
        is_session_style "${ROUTE_STYLE[$key]}" || continue
        row="$key|pg1"
        medians+="${medians:+, }$key ${MED_RATIO[$row]}% (spread ${LO_RATIO[$row]}–${HI_RATIO[$row]}%)"
        if [[ -z "$lowest" ]] || lt "${MED_RATIO[$row]}" "$lowest"; then lowest="${MED_RATIO[$row]}"; fi
    done
    if [[ -n "$lowest" ]]; then
        check "session routes on PostgreSQL (1 node) >= 0.5 of the ceiling (medians: $medians)" ge "$lowest" 50
    fi
    for key in "${PG_ROUTES[@]}"; do
        for row in "$key|pg1" "$key|pg2"; do
            check "$key on ${ROW_ENGINE[$row]}: zero errors (${SUM_ERRORS[$row]} over $pg_rounds rounds)" zero "${SUM_ERRORS[$row]}"
        done
    done
}

report_targets() {
    local name shape ceiling_nginx same=1
    ((run_sqlite == 0)) || report_sqlite_targets
    ((run_pg == 0)) || report_postgresql_targets
    # The ratios only mean something when the ceiling is what it claims to be.
    check "the ceiling answered 2xx to every request ($CEILING_ERRORS errors)" zero "$CEILING_ERRORS"
    ceiling_nginx="$(nginx_shape "$bench_dir/nginx-ceiling/nginx.conf")"
    NGINX_LINE=""
    for name in service pg1 pg2; do
        [[ "$name" != service ]] || ((run_sqlite)) || continue
        [[ "$name" == service ]] || ((run_pg)) || continue
        shape="$(nginx_shape "$bench_dir/nginx-$name/nginx.conf")"
        [[ "$shape" == "$ceiling_nginx" ]] || same=0
        NGINX_LINE+="$(nginx_label "$name"): $shape; "
    done
    NGINX_LINE+="ceiling: $ceiling_nginx"
    check "the ceiling's nginx is configured like the service's (rendered nginx.conf: $NGINX_LINE)" [ "$same" == 1 ]
}
nginx_label() {
    case "$1" in service) echo "service (SQLite)" ;; pg1) echo "PostgreSQL 1 node" ;; pg2) echo "PostgreSQL 2 nodes (one upstream)" ;; esac
}

# shellcheck disable=SC2016  # the backticks are Markdown
report_table() {
    local row dashes='— | — | — | — | — | — | — | — | —'
    printf '%s\n' "| route (median of the rounds) | engine | req/s | ceiling req/s | % of ceiling | spread | per round % | p50 ms | p99 ms | ceiling p99 ms | errors | load avg |" \
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for row in "${ROWS[@]}"; do
        printf '| %s | %s | %s | %s | %.0f%% | %s–%s%% | %s | %s | %s | %s | %s | %s |\n' "${ROW_ROUTE[$row]}" "${ROW_ENGINE[$row]}" \
            "${MED_RPS[$row]}" "${CEIL_RPS[$row]}" "${MED_RATIO[$row]}" "${LO_RATIO[$row]}" "${HI_RATIO[$row]}" "${PER_ROUND[$row]}" \
            "${MED_P50[$row]}" "${MED_P99[$row]}" "${CEIL_P99[$row]}" "${SUM_ERRORS[$row]}" "${LOADS[$row]}"
    done
    if ((run_pg)); then
        [[ "$pg_routes" == all ]] ||
            printf '| POST /auth/token, GET /users/me (Bearer) | PostgreSQL | not run (the same reads as the clients'"'"' styles above; BENCH_PG_ROUTES=all runs them) | %s |\n' "$dashes"
        printf '| GET /admin/audit-log (both pages) | PostgreSQL | not run (no seeded trail: bench/seed_audit.py writes SQLite) | %s |\n' "$dashes"
    fi
    ((run_sqlite)) || return 0
    printf '| `hh-auth audit export --format jsonl` (%s events) | SQLite | %s events/s | — | — | — | — | — | — | — | — | %s |\n' \
        "$total_events" "$export_rate" "$export_load"
    printf '| same, `--since` newest %s events | SQLite | %s events/s | — | — | — | — | — | — | — | — | %s |\n' "${EXPORT_LINES[tenth]}" \
        "$(awk -v n="${EXPORT_LINES[tenth]}" -v s="${EXPORT_SECONDS[tenth]}" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')" \
        "$export_load"
}

# shellcheck disable=SC2016  # the backticks are Markdown
bench_report() {
    local table targets machine memory_line="" wrk_cmd data_line="" notes file wrk_one
    collect_rows
    summarize
    report_targets
    table="$(report_table)"
    targets="$(printf '%s\n' "${TARGETS[@]}")"
    machine="$(bench_machine)"
    wrk_one="\`wrk -t$threads -c$connections -d$duration --latency --timeout $timeout -s bench/route.lua\` after a $warmup warm-up"
    wrk_cmd="each run $wrk_one, the same requests for the ceiling and the service; all behind nginx rendered by scripts/render-nginx.sh ($NGINX_LINE; fastcgi_keep_conn on), RATE_LIMITS=off"
    if ((run_sqlite)); then
        wrk_cmd+="; SQLite: $rounds rounds, in each, per route, the C ceiling then hh-auth"
        memory_line="hh-auth on SQLite after its last run: peak RSS (VmHWM) $(mib "$HWM") MiB, RssAnon $(mib "$ANON") MiB; export: peak RSS $(mib "${EXPORT_RSS[all]}") MiB (all), $(mib "${EXPORT_RSS[tenth]}") MiB (newest ~10%)"
        data_line="SQLite: $total_events audit events ($audit_events seeded with a valid chain by bench/seed_audit.py, the rest written by the service; \`hh-auth audit verify\`: $verify), $users whitelisted users, $sessions sessions made through the real login flow against hh-standin"
    fi
    if ((run_pg)); then
        wrk_cmd+="; PostgreSQL: $pg_rounds rounds, in each, per route, the C ceiling, then hh-auth with one node, then with two nodes (one nginx upstream with a server line per node), both ratios to that ceiling run"
        memory_line+="${memory_line:+; }hh-auth on PostgreSQL after the runs: peak RSS node A $(mib "$PG_HWM_A") MiB, node B $(mib "$PG_HWM_B") MiB"
        data_line+="${data_line:+; }PostgreSQL $BENCH_PG_VERSION: a throwaway cluster (scripts/pg-cluster.sh: unix socket, fsync and synchronous_commit on, shared_buffers 16MB; max_connections 100 for two nodes' worker threads), selected by DATABASE_URL; $users whitelisted users, $sessions sessions through the real login flow against node A, $pg_events audit events (the sign-ins' own, no seeded trail), \`hh-auth audit verify\`: $pg_verify; node A restarted after seeding, node B started with the same settings; both nodes on this one machine, so two nodes share its two cores with nginx and wrk; SESSION_CACHE_MS=${SESSION_CACHE_MS:-100 (the default)}: each node answers a session it has looked up before from memory while its read of the changes, every quarter of that, keeps returning (the 3000 sessions fit; 0 = every lookup asks PostgreSQL)"
    fi
    data_line+="; the session routes pick a random session per request and send it as the row says: (body) = JSON body \`{\"session_id\": ...}\` with Content-Type: application/json, (query) = \`?session_id=\`, both as the clients call them; (Bearer) = \`Authorization: Bearer\`; (cookie, auth_request) = the session (one of the same login-flow sessions: verify reads any session from the cookie) as the cookie \`hh_auth_session\` on the development stack's protected \`/demo/\`: nginx asks \`/auth/verify\` (auth_request) and serves its SSI page with the identity (the ceiling answers the verify subrequest with the same headers as hh-auth: bench/ceiling.c); (Basic) = the admin's password"
    notes="each ceiling run gets the same method, path and query, headers and body as the service run beside it (bench/ceiling.c answers 200 to everything, with hh-auth's identity headers to nginx's verify subrequests); % of ceiling = service req/s / ceiling req/s of one round's ceiling run and service run, the median over the rounds, spread = min–max of those, per round = each round's; req/s, ceiling req/s, p50, p99, ceiling p99 = medians over the rounds; errors = non-2xx answers (counted by bench/route.lua) + wrk socket errors, summed over the rounds; load avg = the 1-minute load after each service run, min–max (it includes the benchmark's own processes: wrk, nginx and the backend keep both cores busy); peak RSS: hh-auth restarted after seeding; anon RSS is heap and stacks, the rest of RSS is file-backed code of the Swift runtime, Foundation and the binary (about 35 MiB, shared and clean); export: /usr/bin/time -v, events/s = lines / wall time"

    echo
    echo "$table"
    echo
    echo "$memory_line"
    echo
    echo "$targets"
    echo
    ((run_sqlite == 0)) || echo "audit log on one connection (wrk -t1 -c1 -d3s): $single_line"
    echo "machine: $machine"
    echo "load average: at start $load_start; at the end $(cat /proc/loadavg)"

    [[ "${BENCH_RECORD:-1}" == 1 ]] || return 0
    file="$repo/BENCHMARKS.md"
    [[ -f "$file" ]] || printf '# Benchmarks\n\nAppended by make bench (scripts/bench.sh), newest last.\n' >"$file"
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — make bench ($engines), $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo 'no commit')$(git -C "$repo" diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes in Sources')"
        echo
        echo "- command: \`make bench\` — $wrk_cmd"
        echo "- machine: $machine"
        echo "- load average (1/5/15 min): at start $load_start; at the end $(cut -d' ' -f1-3 /proc/loadavg); per route in the table$(awk -v l="${load_start%% *}" 'BEGIN { if (l >= 1.5) print " — **other work was running (load >= 1.5): the numbers are low-side**" }')"
        echo "- data: $data_line"
        echo "- $notes"
        echo "- $memory_line"
        ((run_sqlite == 0)) || echo "- audit log on one connection (\`wrk -t1 -c1 -d3s\`, no queueing): $single_line"
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
}
