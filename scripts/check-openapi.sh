#!/usr/bin/env bash
# docs/openapi.yaml as `make test` checks it (`make check-openapi`), every check run and every
# failure named before the exit status says so:
#   1. it is valid OpenAPI 3.1 (openapi-spec-validator);
#   2. its paths and methods are the router's route table (`hh-auth routes`) in both directions,
#      and each operation's security is its route's scheme (scripts/lib/check-openapi-routes.py);
#   3. README.md's API table is the one the document gives (scripts/openapi-readme-table.py --check);
#   4. its info.version is the version `hh-auth --version` prints;
#   5. nginx/www/openapi.yaml, which nginx serves at /openapi.yaml, is the document itself (a
#      symlink in the repository; production installs copy it with `rsync -rL`, README Deploy).
# Needs the Python tools in .venv (scripts/python-test-tools.sh) and a built hh-auth:
#   HH_AUTH_BIN_DIR="$(swift build --show-bin-path)" scripts/check-openapi.sh [DOCUMENT]
# DOCUMENT (default docs/openapi.yaml) lets a broken copy be tried; check 5 is about the real one.
# Exit 0 all pass, 1 the document (or README, or the served copy) differs, 2 a tool failed.
# Binds no ports.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON_TEST_VENV:-$repo/.venv}/bin/python"
document="${1:-$repo/docs/openapi.yaml}"
bin_dir="${HH_AUTH_BIN_DIR:-$repo/.build/debug}"
# Exit 2, with its own message, when a tool cannot run (no venv, an import failing, no hh-auth, a
# check that crashed): that is not "the document differs", which is exit 1.
tool_failure() { echo "check-openapi: TOOL FAILURE: $1" >&2; exit 2; }
[[ -x "$python" ]] || tool_failure "no $python (scripts/python-test-tools.sh makes it)"
"$python" -c 'import openapi_spec_validator, yaml' \
    || tool_failure "$python cannot import openapi_spec_validator and yaml (scripts/python-test-tools.sh rebuilds the venv)"
[[ -x "$bin_dir/hh-auth" ]] || tool_failure "no $bin_dir/hh-auth (swift build, or set HH_AUTH_BIN_DIR)"
[[ -f "$document" ]] || tool_failure "no $document"

# check NAME COMMAND...: exit 1 of COMMAND is a difference (NAME joins the failures), any other
# failing status a tool failure.
failed=()
check() {
    local what="$1" rc=0
    shift
    "$@" || rc=$?
    case $rc in
        0) return 0 ;;
        1) failed+=("$what") && return 1 ;;
        *) tool_failure "${*:1:2} exited $rc (checking: $what)" ;;
    esac
}
check "not valid OpenAPI 3.1" "$python" -m openapi_spec_validator --schema 3.1 --validation-errors all "$document" || :
routes="$("$bin_dir/hh-auth" routes)" || tool_failure "$bin_dir/hh-auth routes failed"
check "routes or security differ from hh-auth routes" \
    "$python" "$repo/scripts/lib/check-openapi-routes.py" "$document" - <<<"$routes" || :
if check "README.md's API table is not current" \
    "$python" "$repo/scripts/openapi-readme-table.py" --check --document "$document"; then
    echo "check-openapi: README.md's API table is current"
fi
binary_version="$("$bin_dir/hh-auth" --version)" || tool_failure "$bin_dir/hh-auth --version failed"
# A document without info (or info.version) differs from the service: printed as empty, exit 1 below.
document_version="$("$python" -c '
import sys, yaml
info = (yaml.safe_load(open(sys.argv[1], encoding="utf-8")) or {}).get("info")
version = info.get("version") if isinstance(info, dict) else None
print("" if version is None else version)' "$document")" \
    || tool_failure "could not read $document for its info.version"
if [[ -z "$document_version" ]]; then
    echo "check-openapi: the document has no info.version; hh-auth --version prints $binary_version (HHAuthVersion.current)"
    failed+=("info.version is not the service's version")
elif [[ "$document_version" == "$binary_version" ]]; then
    echo "check-openapi: info.version $document_version is hh-auth --version"
else
    echo "check-openapi: info.version is $document_version, hh-auth --version prints $binary_version (HHAuthVersion.current)"
    failed+=("info.version is not the service's version")
fi
served="$repo/nginx/www/openapi.yaml"
if [[ -L "$served" && "$(readlink -f "$served")" == "$(readlink -f "$repo/docs/openapi.yaml")" ]]; then
    echo "check-openapi: nginx/www/openapi.yaml is docs/openapi.yaml"
else
    echo "check-openapi: nginx/www/openapi.yaml must be a symlink to ../../docs/openapi.yaml (nginx serves it)"
    failed+=("nginx/www/openapi.yaml is not the document")
fi

if ((${#failed[@]})); then
    printf 'check-openapi: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
