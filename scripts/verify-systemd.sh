#!/usr/bin/env bash
# Verify the systemd units with `systemd-analyze verify`.
#   scripts/verify-systemd.sh [PATH_TO_HH_AUTH_BINARY]
# systemd-analyze refuses an ExecStart= binary that does not exist, so the
# units are copied to a temporary directory with ExecStart= pointing at the
# given binary (default: the debug build, `swift build --show-bin-path`/hh-auth).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-}"
if [[ -z "$bin" ]]; then
    bin="$(cd "$repo" && swift build --show-bin-path)/hh-auth"
fi
[[ -x "$bin" ]] || { echo "verify-systemd: not an executable: $bin" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
command -v systemd-analyze >/dev/null || { echo "verify-systemd: systemd-analyze missing (apt-get install systemd)" >&2; exit 2; }

# Settings SECURITY.md relies on, which verify would accept missing: no core dumps (a core would
# carry ENCRYPTION_KEY and the access tokens of the last minute).
for setting in LimitCORE=0 NoNewPrivileges=yes MemoryDenyWriteExecute=yes; do
    grep -qx "$setting" "$repo/systemd/hh-auth.service" ||
        { echo "verify-systemd: systemd/hh-auth.service lacks $setting" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$repo/systemd/hh-auth.socket" "$tmp/"
sed "s|^ExecStart=/usr/local/bin/hh-auth |ExecStart=$bin |" "$repo/systemd/hh-auth.service" >"$tmp/hh-auth.service"
grep -q "^ExecStart=$bin serve\$" "$tmp/hh-auth.service" || { echo "verify-systemd: could not rewrite ExecStart=" >&2; exit 1; }

# Without a running systemd (containers, CI) verify still checks the unit files;
# every message it prints is a finding, so any output fails the check.
out="$(cd "$tmp" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$tmp/hh-auth.socket" "$tmp/hh-auth.service" 2>&1)" && rc=0 || rc=$?
if [[ $rc -ne 0 || -n "$out" ]]; then
    printf '%s\n' "$out" >&2
    echo "verify-systemd: FAILED (exit $rc)" >&2
    exit 1
fi
echo "verify-systemd: hh-auth.socket and hh-auth.service OK (systemd $(systemd-analyze --version | awk 'NR==1{print $2}'))"
