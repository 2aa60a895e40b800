#!/usr/bin/env bash
# Soak test: mixed traffic through nginx for DURATION seconds, at 32 connections.
# `make soak` runs it for 600 s on the release build; `make test` for 30 s on the debug build.
#
#   DURATION=600 scripts/soak.sh
#
# Traffic (bench/hhload.py soak, one keep-alive connection per thread): /auth/token and
# /users/me with a random session (Bearer), complete login flows against hh-standin
# (/auth/login -> authorize -> /auth/callback -> /auth/exchange; new sessions join the pool),
# logouts, admin reads (audit log pages, users, sessions), audit writes (allow + remove a
# user), /health. Before it: SOAK_AUDIT_EVENTS seeded audit events and SOAK_SESSIONS
# sessions made through the login flow.
#
# Fails (exit 1) on any 5xx or socket error, when the service's RSS grows after the warm-up
# (last sample > first sample after the warm-up x 1.2 + 2 MiB), or when the audit chain does
# not verify afterwards. RSS is sampled every SOAK_RSS_EVERY seconds and the series printed.
#
# Environment (defaults in brackets):
#   DURATION          [600]    seconds of traffic
#   HH_AUTH_BIN_DIR   [swift build -c release --show-bin-path]
#   SOAK_CONNECTIONS  [32]
#   SOAK_RSS_EVERY    [10; 5 when DURATION <= 60]
#   SOAK_WARMUP       [60; 10 when DURATION <= 60]  seconds before the RSS baseline
#   SOAK_USERS [200]  SOAK_SESSIONS [500]  SOAK_AUDIT_EVENTS [100000]
#   SOAK_PORT / SOAK_STANDIN_PORT  [free ports]
#   SOAK_DIR          [a new .run/soak.XXXXXX, removed after a passing run]
#   SOAK_RECORD       [1]      append the result to BENCHMARKS.md (make test sets 0)
#   SOAK_QUIET        [0]      1 = print only the verdicts and the RSS series
#   SOAK_ONLY         []       diagnosis: only these actions (bench/hhload.py soak --only)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

duration="${DURATION:-600}"
[[ "$duration" =~ ^[0-9]+$ && "$duration" -gt 0 ]] || die "DURATION must be whole seconds: $duration"
short=0
((duration <= 60)) && short=1
rss_every="${SOAK_RSS_EVERY:-$([[ $short == 1 ]] && echo 5 || echo 10)}"
warmup="${SOAK_WARMUP:-$([[ $short == 1 ]] && echo 10 || echo 60)}"
connections="${SOAK_CONNECTIONS:-32}"
users="${SOAK_USERS:-200}"
sessions="${SOAK_SESSIONS:-500}"
audit_events="${SOAK_AUDIT_EVENTS:-100000}"
quiet="${SOAK_QUIET:-0}"

command -v nginx >/dev/null || die "nginx is missing (make deps)"
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build -c release --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth (build first, or set HH_AUTH_BIN_DIR)"

mkdir -p "$repo/.run"
soak_dir="${SOAK_DIR:-$(mktemp -d "$repo/.run/soak.XXXXXX")}"
keep_dir=1
[[ -z "${SOAK_DIR:-}" ]] && keep_dir=0

# shellcheck disable=SC2317  # called by trap
cleanup() {
    stop_all
    if [[ $keep_dir == 0 && "${soak_passed:-0}" == 1 ]]; then rm -rf "$soak_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
bench_env "$soak_dir" "${SOAK_PORT:-}" "${SOAK_STANDIN_PORT:-}"
soak_dir="$BENCH_DIR_ABS"
bench_migrate "$bin_dir"
python3 "$repo/bench/seed_audit.py" "$DATABASE_PATH" --events "$audit_events" --users "$users" >"$soak_dir/seed.log"
bench_start_standin "$bin_dir"
bench_start_service "$bin_dir"
bench_start_nginx service "$BENCH_HTTP_PORT" "$BENCH_SERVICE_SOCKET" "$BENCH_STANDIN_SOCKET"
bench_seed_sessions "$users" "$sessions" "$soak_dir/sessions.txt" >"$soak_dir/seed-sessions.log" \
    || { cat "$soak_dir/seed-sessions.log" >&2; die "seeding sessions failed (logs in $soak_dir)"; }

log "soak: ${duration}s, $connections connections, RSS every ${rss_every}s (baseline after ${warmup}s), bin $bin_dir"
report="$soak_dir/report.md"
args=(soak --service "127.0.0.1:$BENCH_HTTP_PORT" --standin "127.0.0.1:$BENCH_STANDIN_HTTP_PORT"
    --admin "admin:$BENCH_ADMIN_PASSWORD" --users "$users" --sessions-file "$soak_dir/sessions.txt"
    --duration "$duration" --connections "$connections" --pid "$BENCH_SERVICE_PID"
    --rss-every "$rss_every" --warmup "$warmup" --report "$report")
[[ $quiet == 1 ]] || args+=(--verbose)
[[ -z "${SOAK_ONLY:-}" ]] || args+=(--only "$SOAK_ONLY")
set +e
python3 "$repo/bench/hhload.py" "${args[@]}"
rc=$?
set -e

if ! kill -0 "$BENCH_SERVICE_PID" 2>/dev/null; then
    warn "hh-auth is not running any more (log: $soak_dir/hh-auth.log)"
    rc=1
fi
verify="$("$bin_dir/hh-auth" audit verify 2>&1)" || { rc=1; verify="FAIL: $verify"; }
echo "audit chain after the soak: $verify"
echo "$verify" | grep -q '^OK' || rc=1
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
[[ $quiet == 1 ]] || echo "load average: at start $load_start; at the end $load_end"

if [[ "${SOAK_RECORD:-1}" == 1 ]]; then
    file="$repo/BENCHMARKS.md"
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — make soak (DURATION=$duration), $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo 'no commit')$(git -C "$repo" diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes in Sources')"
        echo
        echo "- command: \`make soak\` (scripts/soak.sh → bench/hhload.py soak): ${duration} s of mixed traffic on $connections connections through nginx (RATE_LIMITS=off), binary $bin_dir/hh-auth"
        echo "- machine: $(bench_machine)"
        echo "- load average (1/5/15 min): at start $load_start; at the end $load_end"
        echo "- data before the run: $audit_events seeded audit events, $users whitelisted users, $sessions sessions through the login flow"
        echo "- result: $([[ $rc == 0 ]] && echo pass || echo FAIL); audit chain afterwards: $verify"
        echo
        cat "$report"
    } >>"$file"
    log "appended to BENCHMARKS.md"
fi

if [[ $rc != 0 ]]; then
    warn "soak failed; report and logs in $soak_dir"
    exit 1
fi
soak_passed=1
