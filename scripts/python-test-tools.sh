#!/usr/bin/env bash
# The Python test tools (scripts/requirements-test.txt: openapi-spec-validator, schemathesis) in
# a virtualenv of the repository's own, .venv/ (gitignored). `make test` runs this first; it
# installs from PyPI only when the venv is missing or unhealthy (its python cannot import
# schemathesis, openapi_spec_validator and yaml, or its schemathesis command does not start, e.g.
# after the base python moved) or its stamp
# differs (the pins, or the interpreter's path and version, changed since the install), so a
# second run is offline and takes a moment. Prints nothing when there is nothing to do.
#
#   scripts/python-test-tools.sh        then use .venv/bin/python, .venv/bin/schemathesis
#
# The new venv is built in a temporary sibling directory and moves into place only once pip has
# installed every pin: an install that fails (offline, say, after a pin changed) leaves the old
# venv as it was and exits 1. A directory in the venv's place is only ever replaced when this
# script made it (it has pyvenv.cfg and the stamp); anything else there stops the script (exit 2).
# Two runs at once (two checkouts' `make test` sharing a PYTHON_TEST_VENV, say) take turns: the
# whole script holds an flock on VENV.lock beside the venv, so the second finds the first's venv.
#
# Needs python3 >= 3.11 with the venv module (Debian: python3-venv, in the Makefile's
# DEPS_PYTHON_TOOLS) and flock (util-linux). PYTHON_TEST_VENV names another venv directory (any
# path, spaces and all); PYTHON_TEST_PYTHON another base interpreter (default python3).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PYTHON_TEST_VENV:-$repo/.venv}"
venv="${venv%/}"
base_python="${PYTHON_TEST_PYTHON:-python3}"
requirements="$repo/scripts/requirements-test.txt"
stamp_name=".installed-requirements.txt"
imports="import schemathesis, openapi_spec_validator, yaml"
say() { printf '\033[1m==> %s\033[0m\n' "$1"; }
fail() { echo "python-test-tools: $1" >&2; exit "${2:-2}"; }

command -v flock >/dev/null || fail "no flock on PATH (Debian: util-linux)"
mkdir -p "$(dirname "$venv")"
# Held until the script exits (fd 9 closes): everything below, the check included, runs alone.
exec 9>"$venv.lock"
flock 9

command -v "$base_python" >/dev/null || fail "no $base_python on PATH (Debian: apt-get install python3 python3-venv)"
# The interpreter as the stamp records it: its real path and version.
interpreter="$("$base_python" -c 'import os, sys; sys.stdout.write("%s %d.%d.%d\n" % ((os.path.realpath(sys.executable),) + tuple(sys.version_info[:3])))')" \
    || fail "$base_python does not start"
"$base_python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || fail "$base_python is Python ${interpreter##* }; the pinned tools need 3.11 or newer (set PYTHON_TEST_PYTHON to one)"
expected_stamp="$(cat "$requirements"; echo "# python: $interpreter")"

ours() { [[ -f "$1/pyvenv.cfg" && -f "$1/$stamp_name" ]]; }
# Healthy: the tools import, and the command scripts/schemathesis.sh runs starts (its #! line
# names the venv's python).
healthy() { "$1/bin/python" -c "$imports" 2>/dev/null && "$1/bin/schemathesis" --version >/dev/null 2>&1; }

if ours "$venv" && [[ "$(cat "$venv/$stamp_name")" == "$expected_stamp" ]] && healthy "$venv"; then
    exit 0
fi
if [[ -e "$venv" || -L "$venv" ]] && ! ours "$venv"; then
    fail "$venv is there but is no venv this script made (no pyvenv.cfg and $stamp_name): move it away or set PYTHON_TEST_VENV"
fi

if ! "$base_python" -c 'import venv, ensurepip' 2>/dev/null; then
    if "$base_python" -c 'import venv' 2>/dev/null && [[ -f /etc/debian_version ]]; then
        # Debian's python3 ships venv without ensurepip; python3-venv (python3.X-venv) adds it.
        fail "$base_python cannot make a venv with pip: Debian splits that off (apt-get install python3-venv)"
    fi
    fail "$base_python has no working venv/ensurepip module: use a full Python 3.11+ (PYTHON_TEST_PYTHON)"
fi

say "python test tools: $(grep -E '^[a-z]' "$requirements" | tr '\n' ' ')into ${venv#"$repo"/} (${interpreter})"
new="$(mktemp -d "$venv.new.XXXXXX")"
chmod 755 "$new"  # mktemp's 0700 would keep the venv from every other user
old=""
# shellcheck disable=SC2317  # called by trap
cleanup() { rm -rf "$new"; if [[ -n "$old" ]]; then rm -rf "$old"; fi; }
trap cleanup EXIT
"$base_python" -m venv "$new" || fail "$base_python -m venv failed; ${venv#"$repo"/} is unchanged" 1
# -q: the log keeps only pip's warnings and errors.
if ! "$new/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"; then
    if ours "$venv"; then
        fail "pip could not install scripts/requirements-test.txt (offline? the errors above); the previous ${venv#"$repo"/} is kept, with the pins it was made with" 1
    fi
    fail "pip could not install scripts/requirements-test.txt (offline? the errors above); there is no ${venv#"$repo"/} yet" 1
fi
"$new/bin/python" -c "$imports" || fail "the new venv cannot import the tools ($imports); ${venv#"$repo"/} is unchanged" 1
# A venv names its own directory in its scripts (the console scripts' #! lines, activate): make
# them name the place it moves to. A plain string replacement (no sed: the path may hold any
# character sed or a shell would read).
"$base_python" - "$new" "$venv" <<'PY' || fail "could not point the new venv's scripts at ${venv#"$repo"/}; it is unchanged" 1
import os, sys
new, final = (os.fsencode(arg) for arg in sys.argv[1:])
bin_dir = os.path.join(new, b"bin")
for name in os.listdir(bin_dir):
    path = os.path.join(bin_dir, name)
    if os.path.islink(path) or not os.path.isfile(path):
        continue
    with open(path, "rb") as file:
        content = file.read()
    if new in content:
        with open(path, "wb") as file:
            file.write(content.replace(new, final))
PY
echo "$expected_stamp" >"$new/$stamp_name"
if ours "$venv"; then
    old="$(mktemp -d "$venv.old.XXXXXX")"
    mv "$venv" "$old/"
fi
mv -T "$new" "$venv"
new=""
healthy "$venv" || fail "the new ${venv#"$repo"/} does not run schemathesis --version" 1
