#!/usr/bin/env python3
"""Append synthetic audit events to an hh-auth database, with a valid hash chain.

    bench/seed_audit.py DATABASE [--events 1000000] [--users 1000] [--days 90]

The database must already have the schema (`hh-auth migrate`). Events are appended after
whatever the trail already holds, continuing its chain exactly as AuditLog.record does:

    hash = SHA-256 hex of the fields joined by U+001F:
           previous hash, id, event_type, user_id or "", metadata, String(created_at)

- metadata: JSON with sorted keys, no spaces, "/" not escaped, non-ASCII as is
  (JSONEncoder with .sortedKeys and .withoutEscapingSlashes);
- created_at: Unix seconds with microseconds; Swift's String(Double) and Python's repr()
  both print the shortest round-trip decimal and agree for these magnitudes (1e9..1e10);
- id: sqlite_sequence + 1 (explicit ids in an AUTOINCREMENT table keep sqlite_sequence up to date).

Timestamps run evenly (with jitter) from DAYS ago to one minute ago, after the trail's
newest event, so events the running service writes later stay in order. Check the
result with `hh-auth audit verify`. Only the standard library is used.
"""

import argparse
import hashlib
import json
import random
import sqlite3
import sys
import time

GENESIS = "0" * 64
SEP = "\x1f"

USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "python-requests/2.32.3",
    "curl/7.88.1",
    "hh-integration/1.4 (+https://example.com/bot)",
]

# (event type, weight, needs a user)
MIX = [
    ("token_refresh", 38, True),
    ("login", 14, True),
    ("session_created", 14, True),
    ("logout", 10, True),
    ("login_failed", 8, False),
    ("token_refresh_failed", 4, True),
    ("session_terminated", 4, True),
    ("user_allowed", 3, True),
    ("user_removed", 2, True),
    ("admin_auth_failed", 3, False),
]


def canonical(metadata):
    return json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous, event_id, event_type, user_id, metadata, created_at):
    text = SEP.join([previous, str(event_id), event_type, "" if user_id is None else str(user_id), metadata, repr(created_at)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def handle(rng):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "s_" + "".join(rng.choice(alphabet) for _ in range(16))


def metadata_for(event_type, user_id, rng):
    meta = {"ip": "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)),
            "user_agent": rng.choice(USER_AGENTS)}
    hh_user_id = str(100000000 + (user_id or rng.randrange(1, 10**6)))
    if event_type == "login":
        meta["hh_user_id"] = hh_user_id
    elif event_type == "login_failed":
        reason = rng.choice(["not_whitelisted", "state_invalid", "access_denied", "hh_error"])
        meta["reason"] = reason
        if reason == "not_whitelisted":
            meta["hh_user_id"] = hh_user_id
    elif event_type in ("session_created", "logout"):
        meta["session"] = handle(rng)
    elif event_type == "token_refresh_failed":
        meta["reason"] = "hh_unavailable"
    elif event_type == "session_terminated":
        meta = {"admin": "admin", "ip": "127.0.0.1", "user_agent": "curl/7.88.1", "session": handle(rng)}
    elif event_type == "user_allowed":
        meta = {"admin": "admin", "ip": "127.0.0.1", "user_agent": "curl/7.88.1", "hh_user_id": hh_user_id}
    elif event_type == "user_removed":
        meta = {"admin": "admin", "ip": "127.0.0.1", "user_agent": "curl/7.88.1", "hh_user_id": hh_user_id,
                "sessions_ended": rng.randrange(0, 4)}
    elif event_type == "admin_auth_failed":
        meta["username"] = rng.choice(["admin", "root", "administrator"])
    return canonical(meta)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000, help="user ids 1..USERS appear in events")
    parser.add_argument("--days", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    db = sqlite3.connect(args.database, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -65536")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "audit_events" not in tables:
        sys.exit("seed_audit: %s has no audit_events table (run `hh-auth migrate` first)" % args.database)

    last = db.execute("SELECT id, hash, created_at FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    if last:
        previous, last_time = last[1], last[2]
    else:
        previous = db.execute("SELECT anchor_hash FROM audit_guard WHERE id = 1").fetchone()[0] or GENESIS
        last_time = 0.0
    seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'").fetchone()
    next_id = (seq[0] if seq else 0) + 1

    now = time.time()
    start = max(now - args.days * 86400, last_time + 1)
    end = now - 60
    step = (end - start) / max(args.events, 1)
    if step <= 0:
        sys.exit("seed_audit: no room for events between the newest event and now")

    types, weights, needs_user = zip(*MIX)
    needs = dict(zip(types, needs_user))
    picks = rng.choices(types, weights=weights, k=args.events)

    begun = time.monotonic()
    db.execute("BEGIN IMMEDIATE")
    rows = []
    t = start
    for i, event_type in enumerate(picks):
        t_event = round(t + rng.random() * step * 0.9, 6)
        t += step
        user_id = rng.randrange(1, args.users + 1) if needs[event_type] else None
        metadata = metadata_for(event_type, user_id, rng)
        event_id = next_id + i
        digest = chain_hash(previous, event_id, event_type, user_id, metadata, t_event)
        rows.append((event_id, event_type, user_id, metadata, t_event, digest))
        previous = digest
        if len(rows) >= args.batch:
            db.executemany(
                "INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash) VALUES (?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    if rows:
        db.executemany(
            "INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash) VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    elapsed = time.monotonic() - begun
    print("seed_audit: %d events (ids %d..%d) in %.1f s" % (args.events, next_id, next_id + args.events - 1, elapsed))


if __name__ == "__main__":
    main()
