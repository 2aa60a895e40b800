#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer, both from the Swift toolchain) of every
# parser that sees attacker bytes. Usage: scripts/fuzz.sh [seconds per target] [target...]
#
# Each target (Fuzz/Targets/<Name>Fuzz.swift, with Fuzz/Support/*.swift) is compiled by swiftc and
# imports the layers it fuzzes as modules, through their public API only, each built once here with
# the same instrumentation: HTTPCore from Sources/HTTPCore/*.swift (Foundation only; no GRDB, no
# Crypto), and for fastcgi_params FastCGIHTTP's RequestConversion.swift over a one-file FastCGI shim
# (Sources/FastCGI/FastCGIRequest.swift; no libfcgi). Everything is cached in .build-fuzz/ and
# rebuilt when a source changes.
#
# Every run starts from a COPY of the committed seed corpus Fuzz/Corpus/<name>/ (which never grows).
# A crash or a broken invariant fails the script and prints the saved input's path; replay it with
#   .build-fuzz/bin/<name> <crash file>
set -euo pipefail

seconds=${1:-60}
shift || true
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/.build-fuzz
swiftc=${SWIFTC:-swiftc}
cd "$repo"

# name:Target file stem:max input length
all_targets=(
    fastcgi_params:FastCGIParamsFuzz:8192
    query:QueryParametersFuzz:8192
    json_bodies:JSONBodiesFuzz:16384
    basic_auth:BasicCredentialsFuzz:4096
    router:RouterFuzz:2048
    log_text:LogTextFuzz:2048
)
selected=("$@")

flags=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -use-ld=lld)
support_sources=(Fuzz/Support/*.swift)
# module name:sources (relative to the repo), in build order; each may import the ones before it.
modules=(
    "FastCGI:Sources/FastCGI/FastCGIRequest.swift"
    "HTTPCore:$(echo Sources/HTTPCore/*.swift)"
    "FastCGIHTTP:Sources/FastCGIHTTP/RequestConversion.swift"
)
module_libraries=()
for entry in "${modules[@]}"; do module_libraries+=("$out/modules/lib${entry%%:*}.a"); done

mkdir -p "$out/bin" "$out/modules" "$out/logs"

# newer_than target sources...: true when target is missing or older than any source.
stale() {
    local target=$1
    shift
    [[ ! -e $target ]] && return 0
    local source
    for source in "$@"; do [[ $source -nt $target ]] && return 0; done
    return 1
}

# Builds each module as a static library with its .swiftmodule, rebuilding it (and so everything
# after it) when one of its sources, or a module it may import, changed.
build_modules() {
    local entry name sources built=()
    for entry in "${modules[@]}"; do
        name=${entry%%:*}
        read -r -a sources <<<"${entry#*:}"
        if stale "$out/modules/lib$name.a" "${sources[@]}" "${built[@]}" "$0"; then
            (cd "$out/modules" && "$swiftc" "${flags[@]}" -module-name "$name" -I . -emit-module -emit-library -static \
                -o "lib$name.a" "${sources[@]/#/$repo/}") >"$out/logs/module-$name.log" 2>&1 || {
                cat "$out/logs/module-$name.log"
                echo "fuzz: building the $name module failed" >&2
                exit 1
            }
        fi
        built+=("$out/modules/lib$name.a")
    done
}

build_target() {
    local name=$1 stem=$2
    local binary=$out/bin/$name source=Fuzz/Targets/$stem.swift
    if stale "$binary" "$source" "${support_sources[@]}" "${module_libraries[@]}" "$0"; then
        "$swiftc" "${flags[@]}" -module-name "Fuzz_$name" -I "$out/modules" -L "$out/modules" \
            -lFastCGIHTTP -lHTTPCore -lFastCGI "$source" "${support_sources[@]}" -o "$binary" \
            >"$out/logs/$name-build.log" 2>&1 || {
            grep -A3 "error:" "$out/logs/$name-build.log" | head -40 >&2
            echo "fuzz: building $name failed" >&2
            return 1
        }
        if grep -q "warning:" "$out/logs/$name-build.log"; then grep "warning:" "$out/logs/$name-build.log" >&2; fi
    fi
}

run_target() {
    local name=$1 max_len=$2
    local work=$out/work/$name artifacts=$out/artifacts/$name/ log=$out/logs/$name.log
    rm -rf "$work" "$artifacts"
    mkdir -p "$work" "$artifacts"
    cp -R "Fuzz/Corpus/$name/." "$work/"
    local status=0
    # SWIFT_BACKTRACE off: the runtime's crash handler and ASan's would both report one crash.
    SWIFT_BACKTRACE=enable=no "$out/bin/$name" "$work" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        echo "fuzz $name: FAILED (exit $status); log $log"
        grep -E "INVARIANT BROKEN|ERROR: (AddressSanitizer|libFuzzer)|Fatal error|SUMMARY" "$log" | head -5 || true
        local crash
        for crash in "$artifacts"*; do [[ -e $crash ]] && echo "  crashing input: $crash"; done
        return 1
    fi
    local runs
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
    echo "fuzz $name: ok, $runs runs in ${seconds}s"
}

build_modules
failed=0
for entry in "${all_targets[@]}"; do
    IFS=: read -r name stem max_len <<<"$entry"
    if ((${#selected[@]})) && [[ " ${selected[*]} " != *" $name "* ]]; then continue; fi
    if ! build_target "$name" "$stem"; then
        failed=1
        continue
    fi
    run_target "$name" "$max_len" || failed=1
done
exit $failed
