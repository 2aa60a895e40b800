#!/usr/bin/env bash
# Instructions per session lookup (issue 10): prepared statements on the per-thread connection
# against a read-only GRDB DatabaseQueue per thread, counted by valgrind's callgrind (perf has no
# instruction counter in this VM). Needs a release build (`swift build -c release`: hh-auth
# migrates the database); the harness is compiled with swiftc -O against GRDB's release objects.
#
#   bench/readpath/run.sh [N]            N lookups per (variant, query) [100000]
#
# Environment: READPATH_VARIANTS [raw one grdb grdb-columns grdb-read]  READPATH_QUERIES [token user]
#   READPATH_USERS [1000]  READPATH_SESSIONS [3000]  READPATH_DIR [.run/readpath]
# Prints one line per run: instructions in the counted loop / N.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
count="${1:-100000}"
dir="${READPATH_DIR:-$repo/.run/readpath}"
read -r -a variants <<<"${READPATH_VARIANTS:-raw one grdb grdb-columns grdb-read}"
read -r -a queries <<<"${READPATH_QUERIES:-token user}"
command -v valgrind >/dev/null || { echo "valgrind is missing (make deps-leak)" >&2; exit 1; }

bin_dir="$(swift build -c release --show-bin-path)"
[[ -x "$bin_dir/hh-auth" ]] || { echo "no release build: swift build -c release" >&2; exit 1; }
# GRDB's objects as a plain release build makes them (after `make build-release`, which links the
# Swift runtime statically, they would ask for the static Foundation libraries).
echo "==> swift build -c release --target GRDB" >&2
swift build -c release --target GRDB >&2
mkdir -p "$dir"

# "one" is compiled from the service's own sources; "raw" from the same two files as they were before
# issue 10 (b132c91), taken from git with their types renamed (and without the DatabaseError
# initializer the current PreparedStatement.swift still declares), so no copy is kept in the tree.
baseline_commit=b132c91
mkdir -p "$dir/raw"
git -C "$repo" cat-file -e "$baseline_commit^{commit}" 2>/dev/null ||
    { echo "the raw baseline is read from git at $baseline_commit, which this clone lacks (shallow clone or tarball): git fetch --unshallow" >&2; exit 1; }
for pair in ThreadConnection:BaselineConnection PreparedStatement:BaselineStatement; do
    git -C "$repo" show "$baseline_commit:Sources/HHAuth/Storage/${pair%%:*}.swift" |
        sed 's/ThreadConnection/BaselineConnection/g; s/PreparedStatement/BaselineStatement/g' |
        sed '/^extension DatabaseError/,/^}/d' >"$dir/raw/${pair##*:}.swift.new"
    # Rewritten only when it changed, so the harness is not rebuilt on every run.
    if cmp -s "$dir/raw/${pair##*:}.swift.new" "$dir/raw/${pair##*:}.swift"; then
        rm "$dir/raw/${pair##*:}.swift.new"
    else
        mv "$dir/raw/${pair##*:}.swift.new" "$dir/raw/${pair##*:}.swift"
    fi
done
sources=("$repo/bench/readpath/main.swift" "$dir"/raw/*.swift
    "$repo/Sources/HHAuth/Storage/ThreadConnection.swift" "$repo/Sources/HHAuth/Storage/PreparedStatement.swift")
harness="$dir/readpath-bench"
if [[ ! -x "$harness" ]] || [[ -n "$(find "${sources[@]}" "$bin_dir/GRDB.build" -newer "$harness" -print -quit)" ]]; then
    echo "==> swiftc -O bench/readpath" >&2
    swiftc -O -wmo -swift-version 6 -module-name ReadPathBench \
        -I "$bin_dir/Modules" -I "$repo/.build/checkouts/GRDB.swift/Sources/GRDBSQLite" \
        "${sources[@]}" "$bin_dir"/GRDB.build/*.o -lsqlite3 -o "$harness"
fi

db="$dir/readpath.sqlite3"
users="${READPATH_USERS:-1000}"
sessions="${READPATH_SESSIONS:-3000}"
rm -f "$db" "$db-wal" "$db-shm"
echo "==> hh-auth migrate; $users users with a token pair, $sessions sessions" >&2
DATABASE_PATH="$db" ENCRYPTION_KEY="$(head -c32 /dev/urandom | base64)" "$bin_dir/hh-auth" migrate >/dev/null
"$harness" seed "$db" "$users" "$sessions"

echo "N=$count; valgrind --tool=callgrind --collect-atstart=no --toggle-collect=readpath_measured; $(date -u '+%Y-%m-%d %H:%M UTC')"
for query in "${queries[@]}"; do
    for variant in "${variants[@]}"; do
        out="$dir/callgrind.$variant.$query"
        valgrind --tool=callgrind --collect-atstart=no --toggle-collect=readpath_measured \
            --callgrind-out-file="$out" "$harness" run "$db" "$variant" "$query" "$count" >"$out.log" 2>&1 ||
            { cat "$out.log" >&2; exit 1; }
        total="$(awk '/^summary:/ {print $2}' "$out")"
        awk -v v="$variant" -v q="$query" -v t="$total" -v n="$count" \
            'BEGIN { printf "%-12s %-6s %14.0f instructions  %8.0f per lookup\n", v, q, t, t / n }'
    done
done
