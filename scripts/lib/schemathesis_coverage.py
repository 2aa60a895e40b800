#!/usr/bin/env python3
"""Did schemathesis exercise every operation? (scripts/schemathesis.sh runs this after it.)

    schemathesis_coverage.py DOCUMENT STATUSES_JSON

STATUSES_JSON is what scripts/lib/schemathesis_hooks.py writes at exit: {label: {status: count}},
a label being `METHOD path` and, for the operations reached two ways, the way
(`POST /auth/token (Bearer)`, `POST /auth/token (body)`; `GET /auth/sign_out (cookie)` with a
real browser session, `(no cookie)` without). An operation (a way) counts as exercised once it got
its success: the status(es) SUCCESS below names for it, which the document must declare (a 3xx
only where the success IS a redirect: /auth/login, /auth/sign_out; /auth/account's 302 to sign in
is no success). Exit 1, naming each, when an operation of the document, or one way of the two,
never got it, unless NOT_EXERCISED below names it with the reason; when an entry there is
exercised after all (the list must not go stale); when the document has an operation SUCCESS does
not name, or SUCCESS one the document lacks. Exit 2 on unreadable input. Needs PyYAML.
"""

import json
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The operations that take the session id in the original clients' way (the body's or the
# query's `session_id`) as well as `Authorization: Bearer`: the hooks send about half of their
# cases each way, and each way must see its 200.
TWO_WAYS = {
    ("POST", "/auth/token"): "body",
    ("POST", "/auth/refresh"): "body",
    ("POST", "/auth/logout"): "body",
    ("GET", "/users/me"): "query",
}
BEARER = "Bearer"

# The browser's sign-out: the hooks send about half of its cases with the cookie of a real browser
# session (which the sign-out must end), the rest as generated, without one; each way must see its
# redirect.
SIGN_OUT = {("GET", "/auth/sign_out"), ("POST", "/auth/sign_out")}
WITH_COOKIE, WITHOUT_COOKIE = "cookie", "no cookie"

# Each operation's success: what it answers when it does what it is for (the hooks give it real
# credentials, sessions, sign-ins and handles for that).
SUCCESS = {
    ("GET", "/health"): {200},
    ("GET", "/metrics"): {200},
    ("GET", "/auth/login"): {302},  # to HH's authorize page: the redirect is the answer
    ("GET", "/auth/callback"): {200},  # the page with the exchange code (the real sign-ins)
    ("POST", "/auth/exchange"): {200},
    ("POST", "/auth/token"): {200},
    ("POST", "/auth/refresh"): {200},
    ("POST", "/auth/logout"): {200},
    ("GET", "/users/me"): {200},
    ("GET", "/auth/verify"): {200},
    ("GET", "/auth/verify/{group}"): {200},
    ("GET", "/auth/sessions"): {200},
    ("DELETE", "/auth/sessions"): {200},
    ("DELETE", "/auth/sessions/{handle}"): {200},
    ("GET", "/auth/account"): {200},  # the page; its 302 is "sign in first"
    ("GET", "/auth/sign_out"): {302},  # signed out, on to `rd`; its 200 is the cross-site confirmation
    ("POST", "/auth/sign_out"): {302},
    ("POST", "/admin/users/allow"): {200},
    ("GET", "/admin/users"): {200},
    ("DELETE", "/admin/users/{hh_user_id}"): {200},
    ("GET", "/admin/sessions"): {200},
    ("DELETE", "/admin/sessions/{id}"): {200},
    ("GET", "/admin/audit-log"): {200},
}

# Operations a run through nginx cannot bring to a success, each with the reason.
NOT_EXERCISED = {
    ("GET", "/auth/verify"): "only nginx's internal auth_request location (/_hh_auth/verify) reaches it with "
    "the FastCGI parameters it needs; from outside it is 404 by design (the end-to-end tests cover its 200)",
    ("GET", "/auth/verify/{group}"): "as GET /auth/verify: 404 from outside by design",
}


def label(key, way=None):
    return "%s %s" % key + (" (%s)" % way if way else "")


def labels(key):
    way = TWO_WAYS.get(key)
    if way:
        return [label(key, BEARER), label(key, way)]
    if key in SIGN_OUT:
        return [label(key, WITH_COOKIE), label(key, WITHOUT_COOKIE)]
    return [label(key)]


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as file:
            document = yaml.safe_load(file)
        with open(argv[2], encoding="utf-8") as file:
            statuses = {name: {int(status): count for status, count in counts.items()}
                        for name, counts in json.load(file).items()}
    except (OSError, ValueError, yaml.YAMLError) as error:
        print("schemathesis-coverage: cannot read the input: %s" % error, file=sys.stderr)
        return 2
    missing, stale, exercised = [], [], 0
    documented = set()
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            if not isinstance(item, dict) or method not in item:
                continue
            key = (method.upper(), path)
            documented.add(key)
            if key not in SUCCESS:
                stale.append("%s is in the document but not in SUCCESS: name the status(es) of its success" % label(key))
                continue
            declared = {str(status) for status in ((item[method] or {}).get("responses") or {})}
            undeclared = sorted(str(status) for status in SUCCESS[key] if str(status) not in declared)
            if undeclared:
                stale.append("%s: SUCCESS names %s, which the document does not declare" % (label(key), ", ".join(undeclared)))
            for name in labels(key):
                got = statuses.get(name, {})
                ok = any(status in SUCCESS[key] and count for status, count in got.items())
                seen = ", ".join("%d x%d" % pair for pair in sorted(got.items())) or "never called"
                if key in NOT_EXERCISED:
                    if ok:
                        stale.append("%s got a success (%s) but is on NOT_EXERCISED: take it off" % (name, seen))
                elif ok:
                    exercised += 1
                else:
                    missing.append("%s never got its success %s (%s)"
                                   % (name, "/".join(str(status) for status in sorted(SUCCESS[key])), seen))
    for key in sorted(set(SUCCESS) - documented):
        stale.append("SUCCESS names %s, which the document does not have: take it off" % label(key))
    for key, reason in sorted(NOT_EXERCISED.items()):
        print("schemathesis-coverage: not required: %s: %s" % (label(key), reason))
    for problem in missing + stale:
        print("schemathesis-coverage: %s" % problem)
    if missing or stale:
        print("schemathesis-coverage: FAILED: an operation the run did not exercise is an operation it did not test "
              "(scripts/lib/schemathesis_coverage.py)")
        return 1
    print("schemathesis-coverage: every operation (each way) got its success: %d" % exercised)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
