#!/usr/bin/env bash
# schemathesis against the running stack through nginx: every operation of docs/openapi.yaml with
# a bounded number of generated cases, HTTP Basic on the admin operations and a real session
# (Bearer, or the body's or query's session_id) on the session operations, real sign-ins for the
# callback and the exchange (scripts/lib/schemathesis_hooks.py). `make test` runs it
# after swift test (`make schemathesis`).
#
#   HH_AUTH_BIN_DIR="$(swift build --show-bin-path)" scripts/schemathesis.sh
#
# The stack is scripts/lib/bench-stack.sh's (hh-standin, hh-auth, nginx on free loopback ports, a
# fresh database and secrets in a new .run/schemathesis.XXXXXX), with nginx's per-minute limit off
# and the service's limits on but out of reach (RATE_LIMIT_PER_HOUR 100,000,000: its X-RateLimit-*
# headers are still sent; no bound on sign-ins; admin failures forgotten after a second), so the
# answers are the operations' own and not 429s. Two HH users are whitelisted for the sessions.
#
# Checks, and the operations some of them leave out: scripts/schemathesis.toml.
#
# Exit 1 when schemathesis reports a failure or an error, or when an operation never got its
# success (scripts/lib/schemathesis_coverage.py's SUCCESS: 200 for most, the 302 of /auth/login and
# /auth/sign_out) in the statuses the hooks wrote (the run directory's statuses.json, named to the
# hooks and the coverage step by HH_AUTH_ST_STATUSES, so two runs at once never share one; the
# coverage's NOT_EXERCISED names the operations a run through nginx cannot reach, with the
# reason). A run that SCHEMATHESIS_ARGS narrows to some operations (an --include-* or --exclude-*
# filter) skips the coverage step, and says so: the operations it left out got nothing. Its output (the failures with the curl
# line that reproduces each one) is in .test-output/schemathesis.log, the JUnit report in
# .test-output/schemathesis/junit.xml; the stack's logs stay in the run directory when it fails.
#
# Environment (defaults in brackets):
#   HH_AUTH_BIN_DIR         [swift build --show-bin-path]  debug binaries, as make test builds them
#   SCHEMATHESIS_EXAMPLES   [100]  --max-examples: generated cases per operation and phase
#   SCHEMATHESIS_WORKERS    [1]   two or more race in CPython 3.11's ast module (hypothesis parses
#                                 lambdas): a random "SystemError: AST constructor recursion
#                                 depth mismatch" fails the run
#   SCHEMATHESIS_SEED       [1313]  fixed, so `make test` generates the same cases every run
#                                 (the sessions and codes the hooks get are new each time); set
#                                 another to explore, `random` for a fresh one each run
#   SCHEMATHESIS_ARGS       []    more schemathesis arguments (e.g. --include-path /admin/users;
#                                 an --include-*/--exclude-* filter skips the coverage step)
#   SCHEMATHESIS_DOCUMENT   [docs/openapi.yaml]  another copy of the document, to try a change
#   SCHEMATHESIS_OUTPUT     [.test-output]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/stack.sh
source "$repo/scripts/lib/stack.sh"
# shellcheck source=scripts/lib/bench-stack.sh
source "$repo/scripts/lib/bench-stack.sh"
cd "$repo"

command -v nginx >/dev/null || die "nginx is missing (make deps)"
schemathesis="${PYTHON_TEST_VENV:-$repo/.venv}/bin/schemathesis"
[[ -x "$schemathesis" ]] || die "no $schemathesis (scripts/python-test-tools.sh makes it)"
bin_dir="${HH_AUTH_BIN_DIR:-$(swift build --show-bin-path)}"
[[ -x "$bin_dir/hh-auth" ]] || die "no $bin_dir/hh-auth (build first, or set HH_AUTH_BIN_DIR)"
examples="${SCHEMATHESIS_EXAMPLES:-100}"
workers="${SCHEMATHESIS_WORKERS:-1}"
output="${SCHEMATHESIS_OUTPUT:-$repo/.test-output}"
document="${SCHEMATHESIS_DOCUMENT:-$repo/docs/openapi.yaml}"
[[ -f "$document" ]] || die "no $document"
mkdir -p "$repo/.run" "$output/schemathesis"
run_dir="$(mktemp -d "$repo/.run/schemathesis.XXXXXX")"

# shellcheck disable=SC2317  # called by trap
cleanup() {
    stop_all
    if [[ "${passed:-0}" == 1 ]]; then rm -rf "$run_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$SECONDS
bench_env "$run_dir"
# bench_env turns every limit off (RATE_LIMITS=off, read by the service too); nginx stays without
# limit_req (bench_start_nginx), the service's limits stay on, out of reach.
unset RATE_LIMITS
user_id=424242001
spare_id=424242002
export RATE_LIMIT_PER_HOUR=100000000 SIGN_INS_PER_CLIENT_PER_MINUTE=0 \
    ADMIN_MAX_FAILURES=1000 ADMIN_MAX_FAILURES_ALL_ADDRESSES=100000 ADMIN_FAILURE_WINDOW_SECONDS=1 \
    INITIAL_ALLOWED_USERS="$user_id,$spare_id" HH_USER_AGENT="hh-auth-schemathesis/1.0 (tests@example.com)"
bench_migrate "$bin_dir"
bench_start_standin "$bin_dir"
bench_start_service "$bin_dir"
bench_start_nginx service "$BENCH_HTTP_PORT" "$BENCH_SERVICE_SOCKET" "$BENCH_STANDIN_SOCKET"
log "schemathesis: stack up in $((SECONDS - started)) s (nginx 127.0.0.1:$BENCH_HTTP_PORT, logs in ${run_dir#"$repo"/})"

args=(--config-file "$repo/scripts/schemathesis.toml" run "$document" --url "http://127.0.0.1:$BENCH_HTTP_PORT"
    --max-examples "$examples" --workers "$workers" --request-timeout 20
    --generation-database none --no-color
    --report junit --report-junit-path "$output/schemathesis/junit.xml")
seed="${SCHEMATHESIS_SEED:-1313}"
[[ "$seed" == random ]] || args+=(--seed "$seed")
# This run's own (the run directory is new): the hooks write it, the coverage step reads it.
export HH_AUTH_ST_STATUSES="$run_dir/statuses.json"
# shellcheck disable=SC2206  # word splitting is the point: extra arguments
[[ -z "${SCHEMATHESIS_ARGS:-}" ]] || args+=($SCHEMATHESIS_ARGS)
narrowed=""
for arg in "${args[@]}"; do
    case $arg in --include-* | --exclude-*) narrowed="$arg" ;; esac
done

set +e
HH_AUTH_ST_SERVICE="127.0.0.1:$BENCH_HTTP_PORT" HH_AUTH_ST_STANDIN="127.0.0.1:$BENCH_STANDIN_HTTP_PORT" \
    HH_AUTH_ST_ADMIN="admin:$BENCH_ADMIN_PASSWORD" HH_AUTH_ST_USER="$user_id" HH_AUTH_ST_SPARE="$spare_id" \
    PYTHONPATH="$repo/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks \
    HYPOTHESIS_STORAGE_DIRECTORY="$run_dir/hypothesis" \
    "$schemathesis" "${args[@]}" 2>&1 | tee "$output/schemathesis.log"
rc=${PIPESTATUS[0]}
set -e
# Whatever schemathesis says: an operation that never got its success was not tested.
if [[ -n "$narrowed" ]]; then
    echo "schemathesis-coverage: SKIPPED: SCHEMATHESIS_ARGS narrows the operations ($narrowed); only a full run is held to every operation's success" \
        | tee -a "$output/schemathesis.log"
elif ! "${PYTHON_TEST_VENV:-$repo/.venv}/bin/python" "$repo/scripts/lib/schemathesis_coverage.py" "$document" \
    "$HH_AUTH_ST_STATUSES" 2>&1 | tee -a "$output/schemathesis.log"; then
    rc=1
fi

if ! kill -0 "$BENCH_SERVICE_PID" 2>/dev/null; then
    warn "hh-auth is not running any more (log: $run_dir/hh-auth.log)"
    rc=1
fi
if [[ $rc != 0 ]]; then
    warn "schemathesis failed (exit $rc) after $((SECONDS - started)) s: the failures above, also in ${output#"$repo"/}/schemathesis.log; the stack's logs in ${run_dir#"$repo"/}"
    exit 1
fi
log "schemathesis: passed in $((SECONDS - started)) s"
passed=1
