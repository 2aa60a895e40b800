#!/usr/bin/env bash
# Instructions per audit page (issue 15): a release hh-auth under valgrind's callgrind, behind
# nginx, serves a fixed number of `GET /admin/audit-log` pages; the instructions inside
# `FastCGIServer.respond` (inclusive: request conversion, admin authentication, the read, the JSON,
# the FastCGI write) divided by the pages. Wall-clock on this shared 2-core machine is too noisy to
# compare builds; instruction counts are not.
#
#   bench/auditpage/run.sh [PAGES]     PAGES per query [300]
#
# Environment (defaults in brackets):
#   HH_AUTH_BIN_DIR    [swift build -c release --show-bin-path]  the hh-auth to count (a release build)
#   AUDITPAGE_EVENTS   [200000]   audit events seeded (bench/seed_audit.py)
#   AUDITPAGE_QUERIES  ["limit=100" "limit=100&offset=<90 % of the events>"]  one run each
#   AUDITPAGE_WARMUP   [20]       pages before the count starts (the first one pays the password hash)
#   AUDITPAGE_PORT [18480]  AUDITPAGE_STANDIN_PORT [18490]  AUDITPAGE_DIR [.run/auditpage]
# Each query gets a fresh hh-auth under callgrind; after the warm-up pages `callgrind_control
# --zero` clears the counters, so the count holds only the PAGES pages. Prints one line per query.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

pages="${1:-300}"
events="${AUDITPAGE_EVENTS:-200000}"
warmup="${AUDITPAGE_WARMUP:-20}"
dir="${AUDITPAGE_DIR:-$repo/.run/auditpage}"
if [[ -n "${AUDITPAGE_QUERIES:-}" ]]; then
    read -r -a queries <<<"$AUDITPAGE_QUERIES"
else
    queries=("limit=100" "limit=100&offset=$((events * 9 / 10))")
fi
command -v valgrind >/dev/null || die "valgrind is missing (make deps-leak)"
command -v callgrind_control >/dev/null || die "callgrind_control is missing (valgrind)"
command -v objcopy >/dev/null || die "objcopy is missing (apt-get install binutils)"
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build -c release --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth (swift build -c release --product hh-auth)"
mkdir -p "$dir/bin"
# valgrind 3.19 (Debian 12) cannot read the DWARF 5 the Swift toolchain writes and gives up; the
# symbol table (function names) stays.
objcopy --strip-debug "$bin_dir/hh-auth" "$dir/bin/hh-auth"

trap 'stop_all' EXIT
trap 'exit 130' INT TERM

bench_env "$dir" "${AUDITPAGE_PORT:-18480}" "${AUDITPAGE_STANDIN_PORT:-18490}"
dir="$BENCH_DIR_ABS"
bench_migrate "$dir/bin"
log "seeding $events audit events (bench/seed_audit.py)"
python3 "$repo/bench/seed_audit.py" "$DATABASE_PATH" --events "$events" >&2

auth="Authorization: Basic $(printf 'admin:%s' "$BENCH_ADMIN_PASSWORD" | base64 -w0)"
base="http://127.0.0.1:$BENCH_HTTP_PORT/admin/audit-log"

# fetch QUERY N: N pages on one connection; fails unless every one answered 200.
fetch() {
    local config="$dir/curl.config" statuses i
    : >"$config"
    for ((i = 0; i < $2; i++)); do printf 'url = "%s?%s"\noutput = /dev/null\n' "$base" "$1" >>"$config"; done
    statuses="$(curl -s -H "$auth" -w '%{http_code}\n' --config "$config")"
    [[ "$(grep -c '^200$' <<<"$statuses")" == "$2" ]] || die "not every page answered 200: $(sort <<<"$statuses" | uniq -c | tr '\n' ' ')"
}

echo "pages=$pages per query, $events events; valgrind --tool=callgrind, FastCGIServer.respond inclusive; $(date -u '+%Y-%m-%d %H:%M UTC')"
for query in "${queries[@]}"; do
    out="$dir/callgrind.${query//[^A-Za-z0-9]/_}"
    rm -f "$out" "$out".*
    BENCH_SERVICE_START_SECONDS=120 bench_start_service "$dir/bin" \
        valgrind --tool=callgrind --callgrind-out-file="$out" --dump-instr=no
    bench_start_nginx service "$BENCH_HTTP_PORT" "$BENCH_SERVICE_SOCKET"
    nginx_pid=$STACK_LAST_PID
    fetch "$query" "$warmup"
    callgrind_control --zero "$BENCH_SERVICE_PID" >/dev/null
    started=$SECONDS
    fetch "$query" "$pages"
    # Past the admin verification cache's 60 s, a password hash would land inside the count.
    ((SECONDS - started < 50)) || die "the counted pages took $((SECONDS - started)) s (>= 50): use fewer PAGES"
    stop_pid "$nginx_pid"
    bench_stop_service 120
    # The demangled inclusive cost of the respond of FastCGIServer (not the responders' respond(to:)).
    total="$(callgrind_annotate --inclusive=yes --threshold=100 "$out" | swift demangle --simplified |
        awk '/FastCGIServer\.respond\(_:\)/ && !done { gsub(/,/, "", $1); print $1; done = 1 }')"
    [[ -n "$total" ]] || die "no FastCGIServer.respond in $out"
    awk -v q="$query" -v t="$total" -v n="$pages" \
        'BEGIN { printf "%-28s %14.0f instructions  %9.0f per page\n", q, t, t / n }'
done
