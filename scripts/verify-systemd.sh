#!/usr/bin/env bash
# Verify the systemd units with `systemd-analyze verify`, and the sysusers.d file that makes
# their user with `systemd-sysusers --root=<empty dir>`.
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
# The static user the CLI runs as (README, Deploy), and what DynamicUser= implied before it; the
# settings the CLI may read kept from the service itself.
for setting in LimitCORE=0 NoNewPrivileges=yes MemoryDenyWriteExecute=yes User=hh-auth Group=hh-auth \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes RemoveIPC=yes RestrictSUIDSGID=yes \
    InaccessiblePaths=-/etc/hh-auth; do
    grep -qx "$setting" "$repo/systemd/hh-auth.service" ||
        { echo "verify-systemd: systemd/hh-auth.service lacks $setting" >&2; exit 1; }
done
if grep -q '^DynamicUser=' "$repo/systemd/hh-auth.service"; then
    echo "verify-systemd: systemd/hh-auth.service sets DynamicUser= (the CLI needs the static user hh-auth)" >&2
    exit 1
fi

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
# sysusers.d: the user the unit names, made in an empty root (nothing on this machine changes).
command -v systemd-sysusers >/dev/null || { echo "verify-systemd: systemd-sysusers missing (apt-get install systemd)" >&2; exit 2; }
mkdir -p "$tmp/root/etc"
sysusers_out="$(systemd-sysusers --root="$tmp/root" "$repo/systemd/sysusers.d/hh-auth.conf" 2>&1)" ||
    { printf '%s\n' "$sysusers_out" >&2; echo "verify-systemd: systemd-sysusers FAILED" >&2; exit 1; }
grep -Eq '^hh-auth:x:[0-9]+:[0-9]+:hh-auth login gateway:/var/lib/hh-auth:/usr/sbin/nologin$' "$tmp/root/etc/passwd" ||
    { cat "$tmp/root/etc/passwd" >&2; echo "verify-systemd: systemd-sysusers made no system user hh-auth" >&2; exit 1; }
grep -Eq '^hh-auth:x:[0-9]+:$' "$tmp/root/etc/group" ||
    { echo "verify-systemd: systemd-sysusers made no group hh-auth" >&2; exit 1; }

echo "verify-systemd: hh-auth.socket, hh-auth.service and sysusers.d/hh-auth.conf OK (systemd $(systemd-analyze --version | awk 'NR==1{print $2}'))"
