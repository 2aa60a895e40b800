#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, in a directory of its own:
#   scripts/pg-cluster.sh start <dir>   initdb (first time) + pg_ctl start; prints the libpq conninfo
#                                       (line 1) and the same as a postgresql:// URL (line 2)
#   scripts/pg-cluster.sh stop <dir>    pg_ctl stop; nothing running (or no cluster) is not an error
# <dir> holds the data directory (<dir>/data), the server's log (<dir>/server.log) and its unix
# socket (<dir>/.s.PGSQL.5432, the conninfo's host=). No TCP at all (listen_addresses = ''), trust
# for the local socket, superuser `postgres`, small memory settings; fsync and synchronous_commit stay
# on, as the project never acknowledges a write a crash can lose.
#
# Uses Debian's server binaries (/usr/lib/postgresql/<newest version>/bin, or PG_BINDIR), never the
# system's cluster or service (pg_ctlcluster, systemctl, /var/lib/postgresql are not touched). initdb
# refuses root, so as root the cluster runs as PG_CLUSTER_USER (nobody) through runuser, in a <dir>
# owned by that user (every parent of <dir> must be searchable by it: /tmp is).
#
# <dir> may sit in a world-writable directory (/dev/shm, /tmp) under a name others can guess, so
# the script trusts only a directory it made: `start` creates <dir> itself, as the cluster's user
# (mkdir, which refuses an existing path, a symlink included), and marks it (<dir>/.pg-cluster); an
# existing <dir> that is a symlink, not the cluster user's, or without that mark is refused. It
# never chowns or chmods an existing path, and every file in <dir> is read and written as the
# cluster's user (as root: never through a symlink someone planted there).
#
# `start` is idempotent: a running cluster in <dir> is left running. A cluster left by a killed run
# (a stale postmaster.pid, a server killed mid-write) is started again with crash recovery; a data
# directory whose initdb never finished is wiped and made again.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop <dir>" >&2
    exit 2
}
(($# == 2)) || usage
command="$1"
# -s: a symlink as <dir> stays one, and is refused below instead of followed.
dir="$(realpath -s -m -- "$2")"
data="$dir/data"
marker="$dir/.pg-cluster"
port=5432

# The unix socket's path must fit sockaddr_un (107 bytes); quotes, backslashes and whitespace would
# need quoting in postgresql.conf and the conninfo.
if ((${#dir} + 15 > 107)); then
    echo "pg-cluster: $dir is too long for a unix socket path" >&2
    exit 2
fi
case "$dir" in
    *[[:space:]\'\"\\]*)
        echo "pg-cluster: $dir contains a quote, backslash or whitespace" >&2
        exit 2
        ;;
esac

bindir="${PG_BINDIR:-}"
if [[ -z "$bindir" ]]; then
    bindir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
fi
if [[ -z "$bindir" || ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
    echo "pg-cluster: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
    exit 2
fi

# The cluster's user: initdb and postgres refuse to run as root.
if (($(id -u) == 0)); then
    user="${PG_CLUSTER_USER:-nobody}"
    as_user() { runuser -u "$user" -- "$@"; }
else
    user="$(id -un)"
    as_user() { "$@"; }
fi

pg_ctl() { (cd / && as_user "$bindir/pg_ctl" -D "$data" "$@"); }

# 0 when <dir> is a directory this script made for the cluster's user: not a symlink, owned by
# the user, holding the mark (a regular file of the user's).
ours() {
    [[ -d "$dir" && ! -L "$dir" ]] || return 1
    [[ "$(stat -c %u -- "$dir")" == "$(id -u "$user")" ]] || return 1
    as_user test -f "$marker" -a ! -L "$marker" -a -O "$marker"
}

# Starts the server with no descriptor of ours but stdin/out/err (which pg_ctl points at /dev/null
# and the log): the server outlives this script, and a descriptor it inherited would keep the
# caller's pipe or socket open after we exit (Foundation's Process learns of the exit that way, a
# test runner of the end of output), and the caller would wait forever.
start_server() {
    (
        cd /
        for fd in /proc/"$BASHPID"/fd/*; do
            fd="${fd##*/}"
            if ((fd > 2)); then eval "exec $fd>&-"; fi
        done
        as_user "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 -s start
    )
}

# 0 when process $1 is a postgres and not a zombie. (pg_ctl status asks kill(pid, 0), which a
# killed postmaster's zombie, until something reaps it, or a reused pid also passes.)
alive() {
    local comm state
    comm="$(cat "/proc/$1/comm" 2>/dev/null)" || return 1
    state="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ "$comm" == postgres && "$state" != Z ]]
}

# 0 when a postmaster runs on <dir>/data.
running() {
    local pid
    as_user test -f "$data/postmaster.pid" || return 1
    pid="$(as_user head -n 1 "$data/postmaster.pid")"
    [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"
}

# Waits until no postgres process works in <dir>/data: the backends of a killed postmaster exit as
# soon as they notice its death, and until they have, a new postmaster refuses their shared memory.
wait_for_leftovers() {
    local deadline=$((SECONDS + 30)) proc found
    while :; do
        found=""
        while read -r proc; do
            if alive "${proc#/proc/}"; then found="${proc#/proc/}"; fi
        done < <(find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$data" -printf '%h\n' 2>/dev/null)
        [[ -n "$found" ]] || return 0
        if ((SECONDS >= deadline)); then
            echo "pg-cluster: postgres processes still run in $data (pid $found)" >&2
            exit 1
        fi
        sleep 0.1
    done
}

url_encode() {
    local LC_ALL=C text="$1" out="" char i
    for ((i = 0; i < ${#text}; i++)); do
        char="${text:i:1}"
        case "$char" in
            [A-Za-z0-9._~/-]) out+="$char" ;;
            *) out+="$(printf '%%%02X' "'$char")" ;;
        esac
    done
    printf '%s' "$out"
}

initialize() {
    as_user rm -rf -- "$data" "$dir/initialized"
    (cd / && as_user "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C \
        --no-sync 2>&1 | as_user tee "$dir/initdb.log" >/dev/null) || {
        echo "pg-cluster: initdb failed:" >&2
        as_user cat "$dir/initdb.log" >&2
        exit 1
    }
    as_user tee -a "$data/postgresql.conf" >/dev/null <<EOF

# scripts/pg-cluster.sh: a throwaway test cluster, reachable only through its unix socket.
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
# Tests run side by side, each node with its worker, shared-state and session-cache listener
# connections.
max_connections = 100
shared_buffers = 16MB
wal_level = minimal
max_wal_senders = 0
fsync = on
synchronous_commit = on
# After a crash, one syncfs() of the file system instead of an fsync() per file (seconds here).
recovery_init_sync_method = syncfs
log_min_messages = warning
logging_collector = off
EOF
    printf 'local all all trust\n' | as_user tee "$data/pg_hba.conf" >/dev/null
    # Written last: a directory without it is an initdb that did not finish.
    as_user touch "$dir/initialized"
}

start() {
    if [[ ! -e "$dir" && ! -L "$dir" ]]; then
        # Made by the cluster's user, 0700, failing if anything took the name meanwhile.
        if ! (cd / && as_user mkdir -m 0700 -- "$dir"); then
            echo "pg-cluster: cannot make $dir as $user (every parent directory must be searchable by $user)" >&2
            exit 2
        fi
        as_user touch -- "$marker"
    fi
    if ! ours; then
        echo "pg-cluster: $dir is not a directory this script made for $user (a symlink, another owner, or no $marker); refusing it" >&2
        exit 2
    fi
    if ! running; then
        # A killed run's leftovers: once nothing works in the data directory, its lock files name
        # no live postmaster and go (the server would trust a zombie's or a reused pid).
        wait_for_leftovers
        as_user rm -f -- "$data/postmaster.pid" "$dir/.s.PGSQL.$port.lock" "$dir/.s.PGSQL.$port"
        as_user test -f "$dir/initialized" -a -f "$data/PG_VERSION" || initialize
        start_server || {
            echo "pg-cluster: the server did not start; $dir/server.log:" >&2
            as_user tail -n 20 "$dir/server.log" >&2 || true
            exit 1
        }
    fi
    echo "host=$dir port=$port user=postgres dbname=postgres"
    echo "postgresql://postgres@/postgres?host=$(url_encode "$dir")&port=$port"
}

stop() {
    # No cluster of ours there: nothing to stop (and nothing in it to read).
    if [[ -L "$dir" ]]; then
        echo "pg-cluster: $dir is a symlink; refusing it" >&2
        exit 2
    fi
    ours || return 0
    if running; then
        # fast: open transactions roll back, clients are disconnected; immediate if that hangs.
        pg_ctl -m fast -w -t 30 -s stop 2>/dev/null || true
        if running; then pg_ctl -m immediate -w -t 30 -s stop 2>/dev/null || true; fi
        if running; then
            echo "pg-cluster: the server in $data does not stop" >&2
            exit 1
        fi
    fi
    if as_user test -d "$data"; then wait_for_leftovers; fi
}

case "$command" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
