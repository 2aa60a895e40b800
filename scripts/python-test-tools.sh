#!/usr/bin/env bash
# The Python test tools (scripts/requirements-test.txt: openapi-spec-validator, schemathesis) in
# a virtualenv of the repository's own, .venv/ (gitignored). `make test` runs this first; it
# installs from PyPI only when the venv is missing, broken (its python does not start, e.g. after
# the base python moved) or the pins changed since the last install, so a second run is
# offline and takes a moment. Prints nothing when there is nothing to do.
#
#   scripts/python-test-tools.sh        then use .venv/bin/python, .venv/bin/schemathesis
#
# Needs python3 with the venv module (Debian: python3-venv, in the Makefile's DEPS_TEST).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PYTHON_TEST_VENV:-$repo/.venv}"
requirements="$repo/scripts/requirements-test.txt"
stamp="$venv/.installed-requirements.txt"

if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c '' 2>/dev/null && cmp -s "$requirements" "$stamp"; then
    exit 0
fi

printf '\033[1m==> %s\033[0m\n' "python test tools: $(grep -E '^[a-z]' "$requirements" | tr '\n' ' ')into ${venv#"$repo"/}"
python3 -c 'import venv, ensurepip' 2>/dev/null \
    || { echo "python-test-tools: python3 has no venv/ensurepip module (apt-get install python3-venv)" >&2; exit 2; }
rm -rf "$venv"
python3 -m venv "$venv"
# -q: the log keeps only pip's warnings and errors. The stamp is written last, so an install that
# fails halfway is retried next time.
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
