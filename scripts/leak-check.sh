#!/usr/bin/env bash
# Leak check: hh-auth serve under valgrind (memcheck, --leak-check=full) behind nginx, with
# LEAK_DURATION seconds of mixed traffic (the soak driver: login flows against hh-standin,
# /auth/token, /users/me, logouts, admin reads and writes), then SIGTERM and valgrind's report.
# `make leak-check` runs it on the release build (about a minute; not part of `make test`).
#
#   scripts/leak-check.sh
#
# Reports the definite leaks and whether any has a frame in our code (HHAuth, HTTPCore, FastCGI,
# FastCGIHTTP or WorkerThreads;
# Swift symbols are demangled with `swift demangle`). Exit 1 when one has, 0 otherwise
# (leaks only inside the Swift runtime, Foundation or libcurl are listed but do not fail).
#
# Environment (defaults in brackets):
#   HH_AUTH_BIN_DIR   [swift build -c release --show-bin-path]
#   LEAK_DURATION     [30]     seconds of traffic
#   LEAK_CONNECTIONS  [8]      client threads (valgrind serialises the service's threads)
#   LEAK_DIR          [.run/leak-check]  valgrind.log, leaks.txt, logs
#   LEAK_RECORD       [1]      append the summary to BENCHMARKS.md
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

duration="${LEAK_DURATION:-30}"
connections="${LEAK_CONNECTIONS:-8}"
leak_dir="${LEAK_DIR:-$repo/.run/leak-check}"
command -v valgrind >/dev/null || die "valgrind is missing (apt-get install valgrind; make deps-leak)"
command -v nginx >/dev/null || die "nginx is missing (make deps)"
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build -c release --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth (build first, or set HH_AUTH_BIN_DIR)"

trap 'stop_all' EXIT
trap 'exit 130' INT TERM

rm -rf "$leak_dir"
bench_env "$leak_dir"
leak_dir="$BENCH_DIR_ABS"
bench_migrate "$bin_dir"
python3 "$repo/bench/seed_audit.py" "$DATABASE_PATH" --events 20000 --users 50 >"$leak_dir/seed.log"
bench_start_standin "$bin_dir"

# valgrind 3.19 (Debian 12) cannot read the DWARF 5 the Swift toolchain writes and gives up;
# a copy without debug info keeps the symbol table, so stacks still name every function.
mkdir -p "$leak_dir/bin"
objcopy --strip-debug "$bin_dir/hh-auth" "$leak_dir/bin/hh-auth"
vg_log="$leak_dir/valgrind.log"
log "starting hh-auth under valgrind (log: $vg_log)"
BENCH_SERVICE_START_SECONDS=180 bench_start_service "$leak_dir/bin" \
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --num-callers=50 --log-file="$vg_log"
bench_start_nginx service "$BENCH_HTTP_PORT" "$BENCH_SERVICE_SOCKET" "$BENCH_STANDIN_SOCKET"

log "traffic: 50 users, 100 sessions through the login flow, then ${duration}s of mixed traffic on $connections connections"
BENCH_SEED_THREADS=4 bench_seed_sessions 50 100 "$leak_dir/sessions.txt" >&2
set +e
python3 "$repo/bench/hhload.py" soak --service "127.0.0.1:$BENCH_HTTP_PORT" --standin "127.0.0.1:$BENCH_STANDIN_HTTP_PORT" \
    --admin "admin:$BENCH_ADMIN_PASSWORD" --users 50 --sessions-file "$leak_dir/sessions.txt" \
    --duration "$duration" --connections "$connections" --login-threads 4 --report "$leak_dir/traffic.md" >/dev/null
set -e
requests="$(awk -F'|' 'NR > 2 && NF > 3 {n += $3} END {print n + 0}' "$leak_dir/traffic.md")"
log "traffic done: $requests requests (table: $leak_dir/traffic.md)"

log "stopping hh-auth (SIGTERM; valgrind writes its report)"
bench_stop_service 180
stop_all

# ---- the report ---------------------------------------------------------------------
demangled="$leak_dir/valgrind-demangled.log"
if command -v swift >/dev/null && swift demangle --help >/dev/null 2>&1; then
    swift demangle --simplified <"$vg_log" >"$demangled"
else
    cp "$vg_log" "$demangled"
fi
grep -q 'LEAK SUMMARY\|All heap blocks were freed' "$demangled" || die "valgrind wrote no leak summary (see $vg_log)"

# Split the log into loss records ("... are definitely lost in loss record N of M" + stack).
rc=0
python3 - "$demangled" "$leak_dir/leaks.txt" <<'PY' || rc=$?
import re, sys
text = open(sys.argv[1]).read()
lines = [re.sub(r"^==\d+== ?", "", l) for l in text.splitlines()]
records, current = [], None
for line in lines:
    if "are definitely lost in loss record" in line:
        current = [line]
        records.append(current)
    elif current is not None:
        if line.strip() == "":
            current = None
        else:
            current.append(line)
ours_pattern = r"\b(HHAuth|HTTPCore|FastCGI|FastCGIHTTP|WorkerThreads)\.|\$s(6HHAuth|8HTTPCore|7FastCGI|11FastCGIHTTP|13WorkerThreads)"
ours = [r for r in records if any(re.search(ours_pattern, l) for l in r[1:])]
summary = [l for l in lines if re.match(r"\s*(definitely|indirectly|possibly) lost:|\s*still reachable:|ERROR SUMMARY", l)]
with open(sys.argv[2], "w") as out:
    out.write("\n".join(summary) + "\n\n")
    out.write("definite-leak records: %d, with a frame in our modules: %d\n\n" % (len(records), len(ours)))
    for r in records:
        out.write(("[OURS] " if r in ours else "[outside] ") + "\n".join(r[:25]) + "\n\n")
print("\n".join(summary))
print("definite-leak records: %d, with a frame in our modules: %d" % (len(records), len(ours)))
for r in ours[:5]:
    print("\n".join(r[:20]))
    print()
sys.exit(1 if ours else 0)
PY
echo "full report: $leak_dir/leaks.txt (valgrind log: $vg_log)"

if [[ "${LEAK_RECORD:-1}" == 1 ]]; then
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — make leak-check, $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo 'no commit')$(git -C "$repo" diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes in Sources')"
        echo
        echo "- command: \`make leak-check\` (scripts/leak-check.sh): \`valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite\` on the release hh-auth (debug info stripped: valgrind 3.19 cannot read DWARF 5), $requests requests in ${duration} s on $connections connections (login flows, /auth/token, /users/me, logouts, admin reads and writes), then SIGTERM"
        echo "- machine: $(bench_machine); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "- result: $([[ $rc == 0 ]] && echo 'pass: no definite leak with a frame in our modules' || echo 'FAIL: definite leaks in our code')"
        echo
        echo '```'
        sed -n '1,/^definite-leak records/p' "$leak_dir/leaks.txt"
        awk '/^\[(OURS|outside)\]/ {n = 6} n > 0 {print "  " $0; n--}' "$leak_dir/leaks.txt"
        echo '```'
    } >>"$repo/BENCHMARKS.md"
    log "appended to BENCHMARKS.md"
fi
exit $rc
