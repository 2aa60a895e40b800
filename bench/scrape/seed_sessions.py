#!/usr/bin/env python3
"""Seeds a migrated hh-auth database with USERS users and SESSIONS unexpired sessions by direct
SQL (what the login flow would write to `users` and `sessions`; no HH pairs, no audit rows): the
table `hh_auth_sessions_active` counts, for bench/scrape/run.sh.

    seed_sessions.py DATABASE [--users 1000] [--sessions 100000]
"""
import argparse
import os
import sqlite3
import time

parser = argparse.ArgumentParser()
parser.add_argument("database")
parser.add_argument("--users", type=int, default=1000)
parser.add_argument("--sessions", type=int, default=100_000)
args = parser.parse_args()

db = sqlite3.connect(args.database)
now = time.time()
with db:
    db.executemany(
        "INSERT INTO users (hh_user_id, email, full_name, is_active, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
        ((str(300_000_000 + n), f"user{n}@example.com", f"User {n}", now, now) for n in range(args.users)),
    )
    first = db.execute("SELECT min(id) FROM users WHERE hh_user_id >= '300000000'").fetchone()[0]
    db.executemany(
        "INSERT INTO sessions (id_hash, handle, user_id, kind, created_at, expires_at, last_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                os.urandom(32),
                "s_" + os.urandom(12).hex(),
                first + n % args.users,
                "browser" if n % 4 == 0 else "program",
                now - n,
                now + 720 * 3600 - n,
                now - n,
            )
            for n in range(args.sessions)
        ),
    )
live = db.execute("SELECT count(*) FROM sessions WHERE expires_at > ?", (time.time(),)).fetchone()[0]
print(f"seeded {args.users} users, {live} live sessions")
