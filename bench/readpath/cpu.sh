#!/usr/bin/env bash
# Service CPU time per request (issue 10): one stack (database, stand-in, nginx) seeded once, then
# hh-auth restarted with each build in turn, ROUNDS times, and wrk on POST /auth/token and
# GET /users/me. CPU per request = the hh-auth process's utime + stime over the measured wrk run
# (/proc/PID/stat) / the requests wrk counted: on a machine shared with other work this moves far
# less than req/s does.
#
#   bench/readpath/cpu.sh NAME=BIN_DIR [NAME=BIN_DIR...]
#
# Environment: CPU_ROUNDS [3], CPU_DURATION [10s], CPU_WARMUP [2s], BENCH_USERS [1000],
# BENCH_SESSIONS [3000], CPU_DIR [.run/readpath/cpu]; ports are picked free.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

rounds="${CPU_ROUNDS:-3}"
duration="${CPU_DURATION:-10s}"
warmup="${CPU_WARMUP:-2s}"
dir="${CPU_DIR:-$repo/.run/readpath/cpu}"
builds=("$@")
(( ${#builds[@]} )) || die "usage: bench/readpath/cpu.sh NAME=BIN_DIR..."
command -v wrk >/dev/null || die "wrk is missing (make deps-bench)"

trap 'stop_all' EXIT
trap 'exit 130' INT TERM

first_bin="${builds[0]#*=}"
bench_env "$dir"
bench_migrate "$first_bin"
bench_start_standin "$first_bin"
bench_start_service "$first_bin"
bench_start_nginx service "$BENCH_HTTP_PORT" "$BENCH_SERVICE_SOCKET" "$BENCH_STANDIN_SOCKET"
sessions_file="$BENCH_DIR_ABS/sessions.txt"
log "seeding: ${BENCH_USERS:-1000} users, ${BENCH_SESSIONS:-3000} sessions through the login flow"
bench_seed_sessions "${BENCH_USERS:-1000}" "${BENCH_SESSIONS:-3000}" "$sessions_file" >&2
bench_stop_service 15

ticks="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
url="http://127.0.0.1:$BENCH_HTTP_PORT"
export BENCH_SESSIONS_FILE="$sessions_file" BENCH_AUTH=""

printf '| round | build | route | req/s | service CPU µs/request | p99 | errors | load avg |\n'
printf '|---:|---|---|---:|---:|---:|---:|---:|\n'
for round in $(seq 1 "$rounds"); do
    for build in "${builds[@]}"; do
        name="${build%%=*}"
        bench_start_service "${build#*=}"
        pid=$BENCH_SERVICE_PID
        for route in "POST /auth/token" "GET /users/me"; do
            export BENCH_METHOD="${route%% *}"
            args=(-t2 -c32 --latency --timeout 10s -s "$repo/bench/route.lua")
            wrk "${args[@]}" -d"$warmup" "$url${route#* }" >/dev/null
            before="$(cpu_ticks "$pid")"
            out="$(wrk "${args[@]}" -d"$duration" "$url${route#* }")"
            after="$(cpu_ticks "$pid")"
            printf '%s\n' "$out" >"$BENCH_DIR_ABS/wrk-$round-$name-${BENCH_METHOD}.txt"
            awk -v r="$round" -v n="$name" -v route="$route" -v t="$((after - before))" -v hz="$ticks" \
                -v load="$(bench_load)" '
                / requests in / { requests = $1 }
                /^Requests\/sec:/ { rps = $2 }
                $1 == "99%" { p99 = $2 }
                /^non-2xx:/ { errors += $2 }
                /Socket errors:/ { gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) errors += $i }
                END {
                    printf "| %s | %s | %s | %.0f | %.1f | %s | %d | %s |\n", r, n, route, rps,
                        (requests > 0 ? 1e6 * t / hz / requests : 0), p99, errors, load
                }' <<<"$out"
        done
        bench_stop_service 15
    done
done
