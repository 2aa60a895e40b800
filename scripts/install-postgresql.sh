#!/usr/bin/env bash
# Debian's postgresql for the tests and `make bench` (make deps-test, make deps-bench): its server
# binaries (initdb, pg_ctl under /usr/lib/postgresql/<version>/bin), with which
# scripts/pg-cluster.sh starts throwaway clusters of its own. The package would also create and
# start a system cluster (`main`, port 5432) that nothing here uses. So, on a machine without a
# PostgreSQL server package:
#   1. postgresql-common first: Debian's own createcluster.conf (its defaults, commented out)
#      arrives with it;
#   2. `create_main_cluster = false` set in that file, unless a line there already sets it (a
#      commented `#create_main_cluster = …` line becomes it; the rest of the file stays);
#   3. then postgresql, whose server package reads the file and creates no cluster.
# A machine where postgresql (or any postgresql-NN) is installed is left exactly as it is: its
# configuration is its administrator's. A cluster made before stays (`pg_dropcluster --stop
# <version> main` if it is not wanted). Prints nothing when there is nothing to do.
#
# SUDO: the prefix for what runs as root (the Makefile's; empty as root). CREATECLUSTER_CONF:
# another file than /etc/postgresql-common/createcluster.conf (to try the script on a copy).
set -euo pipefail
sudo=${SUDO-}
conf=${CREATECLUSTER_CONF:-/etc/postgresql-common/createcluster.conf}
say() { printf '\033[1m==> %s\033[0m\n' "$1"; }

# The packages matching the patterns that dpkg reports installed, one a line.
installed() {
    { dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true; } |
        awk '$(NF-1) == "ok" && $NF == "installed" { print $1 }'
}

apt_install() {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

servers=$(installed postgresql 'postgresql-[0-9]*')
if grep -qE '^postgresql(-[0-9]+(\.[0-9]+)?)?$' <<<"$servers"; then
    exit 0
fi

say "installing postgresql (create_main_cluster = false in $conf unless it says otherwise: no system cluster)"
$sudo apt-get update -qq
[[ -n "$(installed postgresql-common)" ]] || apt_install postgresql-common
if [[ ! -f "$conf" ]]; then
    echo "install-postgresql: postgresql-common left no $conf; postgresql is not installed, since it would" \
        "create and start a cluster" >&2
    exit 1
fi
setting='^[[:space:]]*create_main_cluster[[:space:]]*='
commented='^[[:space:]]*#[[:space:]]*create_main_cluster[[:space:]]*=.*'
if ! grep -qE "$setting" "$conf"; then
    if grep -qE "$commented" "$conf"; then
        $sudo sed -i -E "0,/$commented/s//create_main_cluster = false/" "$conf"
    else
        echo 'create_main_cluster = false' | $sudo tee -a "$conf" >/dev/null
    fi
elif ! grep -qE "${setting}[[:space:]]*false" "$conf"; then
    # An administrator's own setting stays; say what it means instead of claiming the opposite.
    echo "install-postgresql: $conf sets create_main_cluster to something other than false (left as it is):" \
        "installing postgresql will create and start Debian's main cluster; the tests use clusters of their own" >&2
fi
apt_install postgresql
