#!/usr/bin/env python3
"""Load driver for hh-auth behind nginx, with the stand-in HH: real login flows, sessions, a soak.

    bench/hhload.py sessions --service HOST:PORT --standin HOST:PORT --admin USER:PASS \
        [--users 1000] [--sessions 3000] [--threads 8] --out FILE
        Puts USERS HH user ids on the whitelist (POST /admin/users/allow), then signs in
        SESSIONS times through the real flow, round-robin over the users, and writes one
        session id per line to FILE:
          GET /auth/login -> stand-in /oauth/authorize?...&as_user=ID -> GET /auth/callback
          -> POST /auth/exchange

    bench/hhload.py soak --service HOST:PORT --standin HOST:PORT --admin USER:PASS \
        --sessions-file FILE --duration 600 [--connections 32] [--login-threads 8] [--pid PID] [--rss-every 10]
        [--warmup 60] [--report FILE]
        Mixed traffic on CONNECTIONS threads (one keep-alive connection each) until DURATION
        seconds have passed: /auth/token and /users/me (Bearer, a random seeded session),
        admin reads (audit log pages, users, sessions), audit writes (allow + remove a user),
        /health; the first LOGIN_THREADS (8) threads also run login flows and log their own
        sessions out again. Records p50/p99 per route and the statuses; samples the service's
        VmRSS every RSS_EVERY seconds. Exit 1 on any 5xx or socket error, or when RSS grows
        after the warm-up: last sample > first sample after warm-up x 1.2 + 2 MiB.

Only the standard library is used.
"""

import argparse
import base64
import http.client
import json
import random
import re
import sys
import threading
import time
from array import array
from urllib.parse import urlsplit

EXCHANGE_CODE = re.compile(r'id="exchange-code"[^>]*\bvalue="([^"]+)"')


class Failure(Exception):
    """`key` groups failures for the report (route and status); str() has the detail."""

    def __init__(self, detail, key=None):
        super().__init__(detail)
        self.key = key or detail


class Conn:
    """One keep-alive HTTP/1.1 connection; reconnects after errors. Records into `stats`.

    Keeps the cookies the server sets, like a browser (a login's callback must come from the
    browser that started it: the pre-auth cookie): stored by name, `Max-Age=0` deletes."""

    def __init__(self, hostport, stats, user_agent="hhload/1"):
        host, _, port = hostport.partition(":")
        self.host, self.port = host, int(port or 80)
        self.stats = stats
        self.user_agent = user_agent
        self.conn = None
        self.cookies = {}

    def keep_cookies(self, set_cookies):
        for header in set_cookies:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if re.search(r"(?i)(^|;)\s*max-age=(0|-)", attributes):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, route, method, path, body=None, headers=None, expect=(200,)):
        all_headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join("%s=%s" % item for item in self.cookies.items())
        if headers:
            all_headers.update(headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, path, body=data, headers=all_headers)
            response = self.conn.getresponse()
            payload = response.read()
            status = response.status
            location = response.getheader("Location")
            self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
            if response.will_close:
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as error:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            if self.stats is not None:
                self.stats.record(route, "socket", time.monotonic() - started)
            raise Failure("%s %s: %s" % (method, path, error), "%s: socket error %s" % (route, type(error).__name__))
        if self.stats is not None:
            self.stats.record(route, status, time.monotonic() - started)
        if status not in expect:
            detail = payload[:160].decode("utf-8", "replace")
            text = payload.decode("utf-8", "replace")
            if "<title>" in text:
                detail = text.split("<title>")[1].split("</title>")[0]
            raise Failure("%s %s: %d %s" % (method, path, status, detail), "%s: %d %s" % (route, status, " ".join(detail.split())[:100]))
        return status, location, payload


class Stats:
    """Latencies and statuses per route, shared by all threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {}
        self.statuses = {}

    def record(self, route, status, seconds):
        with self.lock:
            self.latency.setdefault(route, array("d")).append(seconds)
            counts = self.statuses.setdefault(route, {})
            counts[status] = counts.get(status, 0) + 1

    def summary(self):
        with self.lock:
            rows = []
            for route in sorted(self.latency):
                values = sorted(self.latency[route])
                n = len(values)
                rows.append({
                    "route": route, "requests": n,
                    "p50_ms": 1000 * values[int(0.50 * (n - 1))], "p99_ms": 1000 * values[int(0.99 * (n - 1))],
                    "max_ms": 1000 * values[-1], "statuses": dict(self.statuses[route]),
                })
            return rows


def path_of(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def basic(credentials):
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def login(service, standin, hh_user_id):
    """The browser's part of the login flow; returns a new session id."""
    _, location, _ = service.request("GET /auth/login", "GET", "/auth/login", expect=(302,))
    if not location or "/oauth/authorize" not in location:
        raise Failure("/auth/login redirected to %r" % location)
    _, location, _ = standin.request(
        "GET stand-in /oauth/authorize", "GET", path_of(location) + "&as_user=" + hh_user_id, expect=(302,))
    if not location or "/auth/callback" not in location:
        raise Failure("stand-in redirected to %r" % location)
    _, _, page = service.request("GET /auth/callback", "GET", path_of(location), headers={"Accept": "text/html"})
    match = EXCHANGE_CODE.search(page.decode("utf-8", "replace"))
    if not match:
        raise Failure("/auth/callback page has no exchange code")
    _, _, answer = service.request("POST /auth/exchange", "POST", "/auth/exchange", body={"exchange_code": match.group(1)})
    return json.loads(answer)["session_id"]


def hh_id(n):
    return str(200000000 + n)


def run_threads(count, target):
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# ---- sessions -------------------------------------------------------------------------

def cmd_sessions(args):
    admin = {"Authorization": basic(args.admin)}
    errors = []
    started = time.monotonic()

    def allow(index):
        conn = Conn(args.service, None)
        try:
            for n in range(index, args.users, args.threads):
                conn.request("allow", "POST", "/admin/users/allow", body={"hh_user_id": hh_id(n), "comment": "bench"}, headers=admin)
        except Failure as error:
            errors.append(str(error))

    run_threads(args.threads, allow)
    if errors:
        sys.exit("hhload: allowing users failed: %s" % errors[0])
    allowed = time.monotonic()

    sessions = [None] * args.sessions

    def sign_in(index):
        service, standin = Conn(args.service, None), Conn(args.standin, None)
        try:
            for n in range(index, args.sessions, args.threads):
                sessions[n] = login(service, standin, hh_id(n % args.users))
        except Failure as error:
            errors.append(str(error))

    run_threads(args.threads, sign_in)
    if errors:
        sys.exit("hhload: login failed: %s" % errors[0])
    done = time.monotonic()
    with open(args.out, "w") as out:
        out.write("\n".join(sessions) + "\n")
    print("hhload: %d users allowed in %.1f s; %d sessions through the login flow in %.1f s (%.0f logins/s)"
          % (args.users, allowed - started, args.sessions, done - allowed, args.sessions / max(done - allowed, 1e-9)))


# ---- soak -----------------------------------------------------------------------------

def rss_kib(pid, field="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cmd_soak(args):
    with open(args.sessions_file) as f:
        pool = [line.strip() for line in f if line.strip()]
    if not pool:
        sys.exit("hhload: no sessions in %s" % args.sessions_file)
    pool_lock = threading.Lock()
    admin = {"Authorization": basic(args.admin)}
    stats = Stats()
    failures = []
    deadline = time.monotonic() + args.duration
    stop = threading.Event()
    churn = [0]

    # (weight, action)
    def bearer_token(service, standin, rng, own):
        with pool_lock:
            session = rng.choice(pool)
        service.request("POST /auth/token", "POST", "/auth/token", headers={"Authorization": "Bearer " + session})

    def users_me(service, standin, rng, own):
        with pool_lock:
            session = rng.choice(pool)
        service.request("GET /users/me", "GET", "/users/me", headers={"Authorization": "Bearer " + session})

    # A login thread keeps the sessions it made to itself (uses them for /auth/token, logs
    # them out), so no other thread can be using a session while it is logged out.
    def sign_in(service, standin, rng, own):
        # Each login thread holds at most 10 sessions of its own, so the number of sessions (and
        # the size of GET /admin/sessions) stays level: RSS growth then means a leak, not data.
        if len(own) >= 10:
            logout(service, standin, rng, own)
        own.append(login(service, standin, hh_id(rng.randrange(args.users))))
        own_token(service, standin, rng, own)

    def own_token(service, standin, rng, own):
        if own:
            service.request("POST /auth/token", "POST", "/auth/token", headers={"Authorization": "Bearer " + rng.choice(own)})

    def logout(service, standin, rng, own):
        if own:
            session = own.pop(rng.randrange(len(own)))
            service.request("POST /auth/logout", "POST", "/auth/logout", headers={"Authorization": "Bearer " + session})

    def audit_page(service, standin, rng, own):
        offset = rng.choice([0, 0, 0, 100, 1000])
        service.request("GET /admin/audit-log", "GET", "/admin/audit-log?limit=100&offset=%d" % offset, headers=admin)

    def admin_users(service, standin, rng, own):
        service.request("GET /admin/users", "GET", "/admin/users?active_only=true", headers=admin)

    def admin_sessions(service, standin, rng, own):
        service.request("GET /admin/sessions", "GET", "/admin/sessions", headers=admin)

    def allow_remove(service, standin, rng, own):
        with pool_lock:
            churn[0] += 1
            n = churn[0]
        user = str(300000000 + n)
        service.request("POST /admin/users/allow", "POST", "/admin/users/allow", body={"hh_user_id": user, "comment": "soak"}, headers=admin)
        service.request("DELETE /admin/users/{id}", "DELETE", "/admin/users/" + user, headers=admin)

    def health(service, standin, rng, own):
        service.request("GET /health", "GET", "/health")

    # Weights per action (a login is four requests, two of them calls to HH). Only the first
    # LOGIN_THREADS threads log in and out: hh-auth lets at most HH_MAX_CONCURRENT_CALLS
    # (default WORKER_THREADS / 2 = 16) requests wait on HH at once, code exchanges at most half
    # of them (8), and answers 503 beyond that, by design; with no more login threads than
    # that, any 503 is a real failure.
    common_mix = [(50, bearer_token), (15, users_me), (8, audit_page), (2, admin_users), (1, admin_sessions),
                  (4, allow_remove), (10, health)]
    login_mix = common_mix + [(10, sign_in), (6, logout), (10, own_token)]

    def worker(index):
        rng = random.Random(index)
        service = Conn(args.service, stats, "hhload-soak/1 (thread %d)" % index)
        standin = Conn(args.standin, stats)
        mix = login_mix if index < args.login_threads else common_mix
        if args.only:
            mix = [(w, a) for w, a in mix if a.__name__ in args.only.split(",")] or [(1, health)]
        weights = [w for w, _ in mix]
        actions = [a for _, a in mix]
        own = []
        while not stop.is_set() and time.monotonic() < deadline:
            action = rng.choices(actions, weights)[0]
            try:
                action(service, standin, rng, own)
            except Failure as error:
                failures.append(error.key)
            except Exception as error:  # a bug in the driver must not pass as a clean run
                failures.append("driver: %r" % error)

    samples = []
    anon = []

    def sampler():
        began = time.monotonic()
        while True:
            elapsed = time.monotonic() - began
            if args.pid:
                samples.append((round(elapsed), rss_kib(args.pid)))
                anon.append(rss_kib(args.pid, "RssAnon"))
            if stop.wait(args.rss_every) or time.monotonic() >= deadline:
                if args.pid:
                    samples.append((round(time.monotonic() - began), rss_kib(args.pid)))
                    anon.append(rss_kib(args.pid, "RssAnon"))
                return

    sampling = threading.Thread(target=sampler, daemon=True)
    sampling.start()
    try:
        run_threads(args.connections, worker)
    except KeyboardInterrupt:
        stop.set()
    stop.set()
    sampling.join()

    rows = stats.summary()
    total = sum(r["requests"] for r in rows)
    five = sum(n for r in rows for s, n in r["statuses"].items() if s == "socket" or (isinstance(s, int) and s >= 500))
    other = sum(n for r in rows for s, n in r["statuses"].items() if isinstance(s, int) and 400 <= s < 500)

    lines = ["| route | requests | p50 ms | p99 ms | max ms | statuses |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        statuses = " ".join("%s×%d" % (s, n) for s, n in sorted(r["statuses"].items(), key=lambda kv: str(kv[0])))
        lines.append("| %s | %d | %.2f | %.2f | %.1f | %s |" % (r["route"], r["requests"], r["p50_ms"], r["p99_ms"], r["max_ms"], statuses))

    verdicts = []
    ok = True
    if five:
        ok = False
        verdicts.append("FAIL: %d responses were 5xx or socket errors" % five)
    else:
        verdicts.append("pass: no 5xx, no socket errors (%d requests, %d 4xx)" % (total, other))
    series = [(t, kib) for t, kib in samples if kib is not None]
    rss_line = ""
    if args.pid:
        rss_line = "service VmRSS (MiB) every %gs: %s" % (
            args.rss_every, " ".join("%ds:%.1f" % (t, kib / 1024) for t, kib in series))
        rss_line += "\nof which RssAnon (heap, stacks): %s" % " ".join("%.1f" % (a / 1024) for a in anon if a is not None)
        after = [kib for t, kib in series if t >= args.warmup]
        if len(after) >= 2:
            first, last = after[0], after[-1]
            limit = first * 1.2 + 2048
            if last > limit:
                ok = False
                verdicts.append("FAIL: RSS grew after the %gs warm-up: %.1f MiB -> %.1f MiB (limit %.1f MiB)"
                                % (args.warmup, first / 1024, last / 1024, limit / 1024))
            else:
                verdicts.append("pass: no RSS growth after the %gs warm-up: %.1f MiB -> %.1f MiB (limit %.1f MiB)"
                                % (args.warmup, first / 1024, last / 1024, limit / 1024))
        else:
            ok = False
            verdicts.append("FAIL: too few RSS samples after the warm-up (service gone?)")

    report = "\n".join(lines) + "\n\n" + (rss_line + "\n" if rss_line else "") + "\n".join(verdicts) + "\n"
    if failures:
        counts = {}
        for key in failures:
            counts[key] = counts.get(key, 0) + 1
        report += "unexpected answers (%d in all):\n" % len(failures) + "".join(
            "  %dx %s\n" % (n, key) for key, n in sorted(counts.items(), key=lambda kv: -kv[1])[:10])
    if args.report:
        with open(args.report, "w") as out:
            out.write(report)
    if args.verbose:
        sys.stdout.write(report)
    else:
        sys.stdout.write("\n".join(verdicts) + "\n" + (rss_line + "\n" if rss_line else ""))
        if failures and not ok:
            sys.stdout.write(report[report.index("unexpected answers"):])
    sys.exit(0 if ok else 1)


def main():
    parser = argparse.ArgumentParser(description="hh-auth load driver (see the module docstring)")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--service", required=True, help="HOST:PORT of nginx in front of hh-auth")
    common.add_argument("--standin", required=True, help="HOST:PORT of nginx in front of hh-standin")
    common.add_argument("--admin", required=True, help="USER:PASSWORD of the admin API")
    common.add_argument("--users", type=int, default=1000)

    s = sub.add_parser("sessions", parents=[common])
    s.add_argument("--sessions", type=int, default=3000)
    s.add_argument("--threads", type=int, default=8)
    s.add_argument("--out", required=True)

    k = sub.add_parser("soak", parents=[common])
    k.add_argument("--sessions-file", required=True)
    k.add_argument("--duration", type=float, default=600)
    k.add_argument("--connections", type=int, default=32)
    k.add_argument("--pid", type=int, default=0, help="the service's pid, for RSS samples")
    k.add_argument("--rss-every", type=float, default=10)
    k.add_argument("--warmup", type=float, default=60)
    k.add_argument("--login-threads", type=int, default=8, help="threads that also log in and out")
    k.add_argument("--only", help="comma-separated action names (diagnosis): bearer_token, users_me, audit_page, "
                   "admin_users, admin_sessions, allow_remove, health, sign_in, logout, own_token")
    k.add_argument("--report", help="write the full report (markdown table) here")
    k.add_argument("--verbose", action="store_true", help="print the full report, not only the verdicts")

    args = parser.parse_args()
    {"sessions": cmd_sessions, "soak": cmd_soak}[args.command](args)


if __name__ == "__main__":
    main()
