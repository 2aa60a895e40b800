#!/usr/bin/env bash
# Instructions per request on the session routes and /health (issue 15): a release hh-auth under
# valgrind's callgrind, behind nginx, answers a fixed number of requests per route and call style;
# the instructions inside `FastCGIServer.respond` (inclusive: parameters, conversion, routing,
# the handler, the log line, the metrics, the FastCGI write; not the kernel) divided by the
# requests. Wall-clock on this shared 2-core machine is too noisy to compare builds; instruction
# counts are not. (Audit pages: bench/auditpage/run.sh.)
#
#   bench/instructions/run.sh [REQUESTS]     REQUESTS per route [300]
#
# Environment (defaults in brackets):
#   HH_AUTH_BIN_DIR       [swift build -c release --show-bin-path]  the hh-auth (and hh-standin) to count
#   INSTRUCTIONS_ROUTES   [health token-body token-bearer me-query me-bearer demo-cookie]
#                         (demo-cookie: the protected /demo/ with the session cookie; what is
#                         counted is hh-auth's /auth/verify subrequest)
#   INSTRUCTIONS_PORT [18580]  INSTRUCTIONS_STANDIN_PORT [18590]  INSTRUCTIONS_DIR [.run/instructions]
# hh-auth runs with WORKER_THREADS=4, and each route gets REQUESTS warm-up requests before
# `callgrind_control --zero`, so every worker's connection and statements exist before the count.
# Debug info is stripped from a copy of the binary (valgrind 3.19 cannot read DWARF 5).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

requests="${1:-300}"
read -r -a routes <<<"${INSTRUCTIONS_ROUTES:-health token-body token-bearer me-query me-bearer demo-cookie}"
dir="${INSTRUCTIONS_DIR:-$repo/.run/instructions}"
port="${INSTRUCTIONS_PORT:-18580}"
command -v valgrind >/dev/null || die "valgrind is missing (make deps-leak)"
command -v callgrind_control >/dev/null || die "callgrind_control is missing (valgrind)"
command -v objcopy >/dev/null || die "objcopy is missing (apt-get install binutils)"
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build -c release --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" && -x "$bin_dir/hh-standin" ]] || die "no release build in $bin_dir"
mkdir -p "$dir/bin"
objcopy --strip-debug "$bin_dir/hh-auth" "$dir/bin/hh-auth"
cp "$bin_dir/hh-standin" "$dir/bin/hh-standin"
rm -f "$dir"/callgrind.*

trap 'stop_all' EXIT
trap 'exit 130' INT TERM
bench_env "$dir" "$port" "${INSTRUCTIONS_STANDIN_PORT:-18590}"
bench_migrate "$dir/bin"
bench_start_standin "$dir/bin"
bench_start_service "$dir/bin"
bench_start_nginx service "$port" "$BENCH_SERVICE_SOCKET" "$BENCH_STANDIN_SOCKET"
bench_seed_sessions 50 100 "$dir/sessions.txt" >&2
bench_stop_service 15
export WORKER_THREADS=4
BENCH_SERVICE_START_SECONDS=120 bench_start_service "$dir/bin" valgrind --tool=callgrind \
    --callgrind-out-file="$dir/callgrind.%p" --toggle-collect='*CGIServerC7respond*'
pid=$BENCH_SERVICE_PID

# send STYLE METHOD PATH: exactly $requests requests on one kept-alive connection; fails on a non-2xx.
send() {
    python3 - "$requests" "$1" "$2" "$3" "$dir/sessions.txt" "$port" <<'PY'
import http.client, json, random, sys, urllib.parse
n, style, method, path, sessions_file, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
ids = [line.strip() for line in open(sessions_file) if line.strip()]
connection = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    headers, body, target = {}, None, path
    session = random.choice(ids)
    if style == "bearer":
        headers["Authorization"] = "Bearer " + session
    elif style == "body":
        body, headers["Content-Type"] = json.dumps({"session_id": session}), "application/json"
    elif style == "cookie":
        headers["Cookie"] = "hh_auth_session=" + session
    elif style == "query":
        target = path + "?session_id=" + urllib.parse.quote(session)
    connection.request(method, target, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status // 100 != 2:
        sys.exit(f"{method} {target}: {response.status}")
PY
}

for route in "${routes[@]}"; do
    case "$route" in
        health) spec=(none GET /health) ;;
        token-body) spec=(body POST /auth/token) ;;
        token-bearer) spec=(bearer POST /auth/token) ;;
        me-query) spec=(query GET /users/me) ;;
        me-bearer) spec=(bearer GET /users/me) ;;
        demo-cookie) spec=(cookie GET /demo/) ;;
        *) die "unknown route $route (health token-body token-bearer me-query me-bearer demo-cookie)" ;;
    esac
    send "${spec[@]}"
    callgrind_control --zero "$pid" >/dev/null
    send "${spec[@]}"
    callgrind_control --dump="$route" "$pid" >/dev/null
done
for file in "$dir"/callgrind.*.[0-9]*; do
    route="$(awk '/^desc: Trigger: dump / {print $4}' "$file")"
    total="$(awk '/^summary:/ {print $2}' "$file")"
    [[ -n "$route" && -n "$total" ]] || continue
    printf '%-14s %8d instructions per request (%s requests)\n' "$route" "$((total / requests))" "$requests"
done
