# shellcheck shell=bash
# The report of scripts/bench.sh (source it there): per route the medians over the rounds, the
# spread of the ratios to the ceiling, the targets with pass/FAIL, and the section appended to
# BENCHMARKS.md.
#
#   bench_report    prints the table and the targets, appends them to BENCHMARKS.md unless
#                   BENCH_RECORD=0; sets $REPORT_FAILED (the number of failed targets)
#
# It reads bench.sh's globals: $rounds, ROUTES/ROUTE_STYLE/ROUTE_PATH, the per-run arrays
# RPS/P50/P99/ERRORS/LOAD ("ROUTE|SIDE|ROUND") and RATIO ("ROUTE|ROUND", in %), $HWM and $ANON
# (hh-auth after the last service run), the export results, the settings and the data counts.
# shellcheck disable=SC2154

# round_values ARRAY ROUTE [SIDE]: that route's value of each round, one a line.
round_values() {
    local -n values="$1"
    local r
    for ((r = 1; r <= rounds; r++)); do
        if [[ -n "${3:-}" ]]; then echo "${values[$2|$3|$r]}"; else echo "${values[$2|$r]}"; fi
    done
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

# Per route: medians over the rounds (service; CEIL_RPS the ceiling's), the ratios' spread.
declare -A MED_RPS CEIL_RPS MED_RATIO LO_RATIO HI_RATIO PER_ROUND MED_P50 MED_P99 CEIL_P99 SUM_ERRORS LOADS
summarize() {
    local key ratios loads
    CEILING_ERRORS=0
    for key in "${ROUTES[@]}"; do
        ratios="$(round_values RATIO "$key" | sort -g)"
        MED_RATIO[$key]="$(median <<<"$ratios" | fmt_num %.1f)"
        LO_RATIO[$key]="$(head -n1 <<<"$ratios" | fmt_num %.0f)"
        HI_RATIO[$key]="$(tail -n1 <<<"$ratios" | fmt_num %.0f)"
        PER_ROUND[$key]="$(round_values RATIO "$key" | awk '{printf "%s%.0f", (NR > 1 ? " / " : ""), $1}')"
        MED_RPS[$key]="$(round_values RPS "$key" service | median | fmt_num %.0f)"
        CEIL_RPS[$key]="$(round_values RPS "$key" ceiling | median | fmt_num %.0f)"
        MED_P50[$key]="$(round_values P50 "$key" service | median | fmt_num %.2f)"
        MED_P99[$key]="$(round_values P99 "$key" service | median | fmt_num %.2f)"
        CEIL_P99[$key]="$(round_values P99 "$key" ceiling | median | fmt_num %.2f)"
        SUM_ERRORS[$key]="$(round_values ERRORS "$key" service | total)"
        CEILING_ERRORS=$((CEILING_ERRORS + $(round_values ERRORS "$key" ceiling | total)))
        loads="$(round_values LOAD "$key" service | sort -g)"
        LOADS[$key]="$(head -n1 <<<"$loads")–$(tail -n1 <<<"$loads")"
    done
}

TARGETS=()
REPORT_FAILED=0
check() { # DESCRIPTION CONDITION-COMMAND...
    local what="$1"
    shift
    if "$@"; then TARGETS+=("pass  $what"); else TARGETS+=("FAIL  $what"); REPORT_FAILED=$((REPORT_FAILED + 1)); fi
}
check_ratio() { # ROUTE PERCENT
    check "$1 >= $2% of the ceiling (median ${MED_RATIO[$1]}%, spread ${LO_RATIO[$1]}–${HI_RATIO[$1]}%)" \
        ge "${MED_RATIO[$1]}" "$2"
}

report_targets() {
    local key service_nginx ceiling_nginx
    for key in "${ROUTES[@]}"; do
        case "${ROUTE_STYLE[$key]}" in
            none) check_ratio "$key" 90 ;;
            bearer | cookie | body | query)
                check_ratio "$key" 80
                # The ceiling's own p99 beside it: at 32 connections p99 follows throughput, and
                # on a slow or busy machine even the ceiling misses the 5 ms (the verdict stays
                # absolute; the figure says how much of the tail is the machine's).
                check "$key p99 < 5 ms (median ${MED_P99[$key]} ms; the ceiling's own ${CEIL_P99[$key]} ms)" \
                    lt "${MED_P99[$key]}" 5
                ;;
            # The audit pages answer 100 events (~30 KB) each: their target is a share of the
            # ceiling, not a latency (32 connections queue behind them; the one-connection line
            # below the table gives the service time).
            basic) check_ratio "$key" 30 ;;
        esac
        check "$key zero errors (${SUM_ERRORS[$key]} over $rounds rounds)" zero "${SUM_ERRORS[$key]}"
    done
    check "hh-auth peak RSS after the bench < 40 MiB ($(mib "$HWM") MiB)" lt "${HWM:-999999999}" 40960
    check "export >= 200k events/s ($export_rate/s)" ge "$export_rate" 200000
    check "export memory flat: peak RSS of all events <= peak of ~10% + 8 MiB ($(mib "${EXPORT_RSS[all]}") vs $(mib "${EXPORT_RSS[tenth]}") MiB)" \
        lt "${EXPORT_RSS[all]}" "$((EXPORT_RSS[tenth] + 8192))"
    check "export wrote every event (${EXPORT_LINES[all]} of $total_events)" [ "${EXPORT_LINES[all]}" == "$total_events" ]
    # The ratios only mean something when the ceiling is what it claims to be.
    check "the ceiling answered 2xx to every request ($CEILING_ERRORS errors)" zero "$CEILING_ERRORS"
    service_nginx="$(nginx_shape "$bench_dir/nginx-service/nginx.conf")"
    ceiling_nginx="$(nginx_shape "$bench_dir/nginx-ceiling/nginx.conf")"
    NGINX_LINE="service: $service_nginx; ceiling: $ceiling_nginx"
    check "the ceiling's nginx is configured like the service's (rendered nginx.conf: $NGINX_LINE)" \
        [ "$service_nginx" == "$ceiling_nginx" ]
}

# shellcheck disable=SC2016  # the backticks are Markdown
report_table() {
    local key
    printf '%s\n' "| route (median of $rounds rounds) | req/s | ceiling req/s | % of ceiling | spread | per round % | p50 ms | p99 ms | ceiling p99 ms | errors | load avg |" \
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for key in "${ROUTES[@]}"; do
        printf '| %s | %s | %s | %.0f%% | %s–%s%% | %s | %s | %s | %s | %s | %s |\n' "$key" "${MED_RPS[$key]}" \
            "${CEIL_RPS[$key]}" "${MED_RATIO[$key]}" "${LO_RATIO[$key]}" "${HI_RATIO[$key]}" "${PER_ROUND[$key]}" \
            "${MED_P50[$key]}" "${MED_P99[$key]}" "${CEIL_P99[$key]}" "${SUM_ERRORS[$key]}" "${LOADS[$key]}"
    done
    printf '| `hh-auth audit export --format jsonl` (%s events) | %s events/s | — | — | — | — | — | — | — | — | %s |\n' \
        "$total_events" "$export_rate" "$export_load"
    printf '| same, `--since` newest %s events | %s events/s | — | — | — | — | — | — | — | — | %s |\n' "${EXPORT_LINES[tenth]}" \
        "$(awk -v n="${EXPORT_LINES[tenth]}" -v s="${EXPORT_SECONDS[tenth]}" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')" \
        "$export_load"
}

bench_report() {
    local table targets machine memory_line wrk_cmd data_line notes file
    summarize
    report_targets
    table="$(report_table)"
    targets="$(printf '%s\n' "${TARGETS[@]}")"
    machine="$(bench_machine)"
    memory_line="hh-auth after the last service run: peak RSS (VmHWM) $(mib "$HWM") MiB, RssAnon $(mib "$ANON") MiB; export: peak RSS $(mib "${EXPORT_RSS[all]}") MiB (all), $(mib "${EXPORT_RSS[tenth]}") MiB (newest ~10%)"
    wrk_cmd="$rounds rounds; in each, per route, the C ceiling then hh-auth, each \`wrk -t$threads -c$connections -d$duration --latency --timeout $timeout -s bench/route.lua\` after a $warmup warm-up, same requests for both; both behind nginx rendered by scripts/render-nginx.sh ($NGINX_LINE; fastcgi_keep_conn on), RATE_LIMITS=off"
    data_line="data: $total_events audit events ($audit_events seeded with a valid chain by bench/seed_audit.py, the rest written by the service; \`hh-auth audit verify\`: $verify), $users whitelisted users, $sessions sessions made through the real login flow against hh-standin; the session routes pick a random session per request and send it as the row says: (body) = JSON body \`{\"session_id\": ...}\` with Content-Type: application/json, (query) = \`?session_id=\`, both as the clients call them; (Bearer) = \`Authorization: Bearer\`; (cookie, auth_request) = the session (one of the same login-flow sessions: verify reads any session from the cookie) as the cookie \`hh_auth_session\` on the development stack's protected \`/demo/\`: nginx asks \`/auth/verify\` (auth_request) and serves its SSI page with the identity (the ceiling answers the verify subrequest with the same headers as hh-auth: bench/ceiling.c); (Basic) = the admin's password"
    notes="each ceiling run gets the same method, path and query, headers and body as the service run beside it (bench/ceiling.c answers 200 to everything, with hh-auth's identity headers to nginx's verify subrequests); % of ceiling = service req/s / ceiling req/s of one round's pair, the median over the rounds, spread = min–max of those, per round = each round's; req/s, ceiling req/s, p50, p99, ceiling p99 = medians over the rounds; errors = non-2xx answers (counted by bench/route.lua) + wrk socket errors, summed over the rounds; load avg = the 1-minute load after each service run, min–max (it includes the benchmark's own processes: wrk, nginx and the backend keep both cores busy); peak RSS: hh-auth restarted after seeding; anon RSS is heap and stacks, the rest of RSS is file-backed code of the Swift runtime, Foundation and the binary (about 35 MiB, shared and clean); export: /usr/bin/time -v, events/s = lines / wall time"

    echo
    echo "$table"
    echo
    echo "$memory_line"
    echo
    echo "$targets"
    echo
    echo "audit log on one connection (wrk -t1 -c1 -d3s): $single_line"
    echo "machine: $machine"
    echo "load average: at start $load_start; at the end $(cat /proc/loadavg)"

    [[ "${BENCH_RECORD:-1}" == 1 ]] || return 0
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
        echo "- $memory_line"
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
}
