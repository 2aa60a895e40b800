#!/usr/bin/env bash
# End-to-end comparison of builds (issue 10): scripts/bench.sh once per build per round, the builds
# interleaved, nothing appended to BENCHMARKS.md. Prints /auth/token and /users/me beside the C
# ceiling of the same run.
#
#   bench/readpath/compare.sh NAME=BIN_DIR [NAME=BIN_DIR...]
#
# BIN_DIR holds hh-auth and hh-standin (release builds). Environment: COMPARE_ROUNDS [2],
# COMPARE_FIRST_ROUND [1] (to number a later series on), COMPARE_DIR [.run/readpath/compare], and
# scripts/bench.sh's (defaults here: BENCH_AUDIT_EVENTS=20000, ports 18280/18281/18290 so a
# `make bench` elsewhere on the machine does not collide).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${COMPARE_ROUNDS:-2}"
first="${COMPARE_FIRST_ROUND:-1}"
out="${COMPARE_DIR:-$repo/.run/readpath/compare}"
mkdir -p "$out"
export BENCH_RECORD=0 BENCH_SKIP_BUILD=1 BENCH_DIR="$out/stack"
export BENCH_AUDIT_EVENTS="${BENCH_AUDIT_EVENTS:-20000}" BENCH_AUDIT_OFFSET="${BENCH_AUDIT_OFFSET:-10000}"
export BENCH_PORT="${BENCH_PORT:-18280}" BENCH_CEILING_PORT="${BENCH_CEILING_PORT:-18281}"
export BENCH_STANDIN_PORT="${BENCH_STANDIN_PORT:-18290}"

printf '| round | build | ceiling req/s | /auth/token req/s | %% of ceiling | p99 ms | /users/me req/s | %% of ceiling | p99 ms | errors | load avg |\n'
printf '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for round in $(seq "$first" "$((first + rounds - 1))"); do
    for build in "$@"; do
        name="${build%%=*}"
        log="$out/$round-$name.txt"
        HH_AUTH_BIN_DIR="${build#*=}" "$repo/scripts/bench.sh" >"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
        # Rows of the table bench.sh prints: | route | req/s | % | p50 | p99 | errors | ... | load |
        awk -F'|' -v r="$round" -v n="$name" '
            function t(s) { gsub(/^ +| +$/, "", s); return s }
            t($2) == "C ceiling: GET /health" { c = t($3) }
            t($2) == "POST /auth/token" { tr = t($3); tp = t($4); t99 = t($6); e += t($7); l = t($10) }
            t($2) == "GET /users/me" { mr = t($3); mp = t($4); m99 = t($6); e += t($7); l = l "/" t($10) }
            END { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r, n, c, tr, tp, t99, mr, mp, m99, e, l }
        ' "$log"
    done
done
