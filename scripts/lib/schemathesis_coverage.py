#!/usr/bin/env python3
"""Did schemathesis exercise every operation? (scripts/schemathesis.sh runs this after it.)

    schemathesis_coverage.py DOCUMENT STATUSES_JSON

STATUSES_JSON is what scripts/lib/schemathesis_hooks.py writes at exit: {label: {status: count}},
a label being `METHOD path` and, for the operations that take the session id two ways, the way
(`POST /auth/token (Bearer)`, `POST /auth/token (body)`). An operation (a way) counts as
exercised once it got a success: a 2xx, or a 3xx its responses in the document declare (a
redirect is its success). Exit 1, naming each, when an operation of the document, or one way of
the two, never got one, unless NOT_EXERCISED below names it with the reason; exit 1 too when an
entry there is exercised after all (the list must not go stale). Exit 2 on unreadable input.
Needs PyYAML.
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
    return [label(key, BEARER), label(key, way)] if way else [label(key)]


def successes(operation):
    """The statuses that count as a success of the operation."""
    declared = {str(status) for status in (operation.get("responses") or {})}
    return lambda status: 200 <= status < 300 or (300 <= status < 400 and str(status) in declared)


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
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            if not isinstance(item, dict) or method not in item:
                continue
            key = (method.upper(), path)
            succeeded = successes(item[method] or {})
            for name in labels(key):
                got = statuses.get(name, {})
                ok = any(succeeded(status) and count for status, count in got.items())
                seen = ", ".join("%d x%d" % pair for pair in sorted(got.items())) or "never called"
                if key in NOT_EXERCISED:
                    if ok:
                        stale.append("%s got a success (%s) but is on NOT_EXERCISED: take it off" % (name, seen))
                elif ok:
                    exercised += 1
                else:
                    missing.append("%s never got a success (%s)" % (name, seen))
    for key, reason in sorted(NOT_EXERCISED.items()):
        print("schemathesis-coverage: not required: %s: %s" % (label(key), reason))
    for problem in missing + stale:
        print("schemathesis-coverage: %s" % problem)
    if missing or stale:
        print("schemathesis-coverage: FAILED: an operation the run did not exercise is an operation it did not test "
              "(scripts/lib/schemathesis_coverage.py)")
        return 1
    print("schemathesis-coverage: every operation (and both ways of the session id) got a success: %d" % exercised)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
