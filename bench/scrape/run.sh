#!/usr/bin/env bash
# What a scrape of /metrics costs with many sessions (issue 12): a release hh-auth behind nginx,
# its database seeded with SCRAPE_SESSIONS live sessions by direct SQL (bench/scrape/seed_sessions.py),
# then GET /metrics through nginx on one connection (wrk -t1 -c1, no queueing: p50/p99), the
# service's own time per scrape (request_duration_seconds{endpoint="/metrics"}, sum / count), and
# the instructions per scrape inside FastCGIServer.respond under callgrind (as
# bench/instructions/run.sh counts them). Also times the janitor's count of the live sessions
# (the one indexed count hh_auth_sessions_active needs; it runs on the janitor's thread, never
# on a scrape).
#
#   bench/scrape/run.sh [SCRAPES]    SCRAPES counted under callgrind [300]
#
# Environment (defaults in brackets):
#   HH_AUTH_BIN_DIR    [swift build -c release --show-bin-path]  the hh-auth to measure (a release build)
#   SCRAPE_SESSIONS    [100000]  live sessions seeded (over SCRAPE_USERS [1000] users)
#   SCRAPE_SECONDS     [10]      the wrk run (after a 2 s warm-up)
#   SCRAPE_CALLGRIND   [1]       0: skip the callgrind count (needs valgrind, objcopy)
#   SCRAPE_PORT [18680]  SCRAPE_STANDIN_PORT [18690]  SCRAPE_DIR [.run/scrape]
# Prints one block of results (markdown) to stdout; the log goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

scrapes="${1:-300}"
sessions="${SCRAPE_SESSIONS:-100000}"
users="${SCRAPE_USERS:-1000}"
seconds="${SCRAPE_SECONDS:-10}"
callgrind="${SCRAPE_CALLGRIND:-1}"
dir="${SCRAPE_DIR:-$repo/.run/scrape}"
port="${SCRAPE_PORT:-18680}"
command -v wrk >/dev/null || die "wrk is missing (make deps-bench)"
command -v curl >/dev/null || die "curl is missing"
if [[ "$callgrind" == 1 ]]; then
    command -v valgrind >/dev/null || die "valgrind is missing (make deps-leak), or SCRAPE_CALLGRIND=0"
    command -v callgrind_control >/dev/null || die "callgrind_control is missing (valgrind)"
    command -v objcopy >/dev/null || die "objcopy is missing (apt-get install binutils)"
fi
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build -c release --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth (swift build -c release --product hh-auth)"
mkdir -p "$dir/bin"
# valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes; the symbol table stays.
objcopy --strip-debug "$bin_dir/hh-auth" "$dir/bin/hh-auth" 2>/dev/null || cp "$bin_dir/hh-auth" "$dir/bin/hh-auth"

trap 'stop_all' EXIT
trap 'exit 130' INT TERM
bench_env "$dir" "$port" "${SCRAPE_STANDIN_PORT:-18690}"
dir="$BENCH_DIR_ABS"
bench_migrate "$dir/bin"
log "seeding $sessions sessions of $users users (bench/scrape/seed_sessions.py)"
python3 "$repo/bench/scrape/seed_sessions.py" "$DATABASE_PATH" --users "$users" --sessions "$sessions" >&2
count_ms="$(python3 - "$DATABASE_PATH" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
sql = "SELECT count(*) FROM sessions s WHERE s.expires_at > ?"
db.execute(sql, (time.time(),)).fetchone()
runs = []
for _ in range(20):
    started = time.perf_counter()
    db.execute(sql, (time.time(),)).fetchone()
    runs.append((time.perf_counter() - started) * 1000)
runs.sort()
print(f"{runs[len(runs) // 2]:.2f}")
PY
)"
url="http://127.0.0.1:$BENCH_HTTP_PORT/metrics"

to_ms() { # wrk latency (e.g. 812.00us, 1.23ms, 1.01s) -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

# metric NAME_AND_LABELS: one sample of a scrape now.
metric() {
    local text
    text="$(curl -fsS "$url")"
    awk -v s="$1" 'index($0, s " ") == 1 {print $NF; exit}' <<<"$text"
}

bench_start_service "$dir/bin"
bench_start_nginx service "$BENCH_HTTP_PORT" "$BENCH_SERVICE_SOCKET"
nginx_pid=$STACK_LAST_PID
active="$(metric hh_auth_sessions_active)"
log "hh_auth_sessions_active: $active"
[[ "${active%.*}" == "$sessions" ]] || die "hh_auth_sessions_active is $active, not $sessions"
bytes="$(curl -fsS "$url" | wc -c)"
load_before="$(bench_load)"
wrk -t1 -c1 -d2s "$url" >/dev/null
before_sum="$(metric 'request_duration_seconds_sum{method="GET",endpoint="/metrics"}')"
before_count="$(metric 'request_duration_seconds_count{method="GET",endpoint="/metrics"}')"
out="$(wrk -t1 -c1 -d"${seconds}s" --latency "$url")"
after_sum="$(metric 'request_duration_seconds_sum{method="GET",endpoint="/metrics"}')"
after_count="$(metric 'request_duration_seconds_count{method="GET",endpoint="/metrics"}')"
load_after="$(bench_load)"
p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")"
[[ -n "$rps" && "$p99" != "0.000" ]] || die "wrk printed no latency distribution: $out"
service_us="$(awk -v s1="$after_sum" -v s0="$before_sum" -v c1="$after_count" -v c0="$before_count" \
    'BEGIN { printf "%.0f", (s1 - s0) / (c1 - c0) * 1e6 }')"
rss_kib="$(proc_kib "$BENCH_SERVICE_PID" VmRSS)"
stop_pid "$nginx_pid"
bench_stop_service 15

instructions="skipped (SCRAPE_CALLGRIND=0)"
if [[ "$callgrind" == 1 ]]; then
    out_file="$dir/callgrind.scrape"
    rm -f "$out_file" "$out_file".*
    BENCH_SERVICE_START_SECONDS=120 bench_start_service "$dir/bin" \
        valgrind --tool=callgrind --callgrind-out-file="$out_file" --dump-instr=no --toggle-collect='*CGIServerC7respond*'
    bench_start_nginx service "$BENCH_HTTP_PORT" "$BENCH_SERVICE_SOCKET"
    nginx_pid=$STACK_LAST_PID
    # fetch N: N scrapes on one kept-alive connection.
    fetch() {
        local config="$dir/curl.config" i
        : >"$config"
        for ((i = 0; i < $1; i++)); do printf 'url = "%s"\noutput = /dev/null\n' "$url" >>"$config"; done
        curl -fsS --config "$config"
    }
    fetch 20
    callgrind_control --zero "$BENCH_SERVICE_PID" >/dev/null
    fetch "$scrapes"
    callgrind_control --dump=scrape "$BENCH_SERVICE_PID" >/dev/null
    stop_pid "$nginx_pid"
    bench_stop_service 120
    total=""
    for file in "$out_file".*; do
        grep -q '^desc: Trigger: .*dump scrape' "$file" && total="$(awk '/^summary:/ {print $2}' "$file")"
    done
    [[ -n "$total" ]] || die "no callgrind dump of the scrapes in $dir"
    instructions="$((total / scrapes)) instructions per scrape ($scrapes scrapes, FastCGIServer.respond inclusive)"
fi

cat <<MD
## $(date -u '+%Y-%m-%d %H:%M UTC') — bench/scrape/run.sh, $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- Sources || echo ' + uncommitted changes in Sources')

- command: \`bench/scrape/run.sh $scrapes\` (SCRAPE_SESSIONS=$sessions, SCRAPE_SECONDS=$seconds), release build
- machine: $(bench_machine); load average (1 min) $load_before before the wrk run, $load_after after
- data: $sessions live sessions of $users users, seeded by SQL; \`hh_auth_sessions_active\` read $active
- answer: $bytes bytes of exposition
- GET /metrics through nginx, \`wrk -t1 -c1 -d${seconds}s\`: p50 $p50 ms, p99 $p99 ms, $rps scrapes/s
- service time per scrape (request_duration_seconds sum / count over the wrk run): $service_us µs
- callgrind: $instructions
- the janitor's count of the live sessions (\`SELECT count(*) FROM sessions s WHERE s.expires_at > ?\`, sessions_by_expiry, median of 20 from Python's sqlite3): $count_ms ms, at most every 15 s on its thread
- hh-auth RSS after the wrk run: $((rss_kib / 1024)) MiB
MD
