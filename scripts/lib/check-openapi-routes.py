#!/usr/bin/env python3
"""docs/openapi.yaml against the router's route table (scripts/check-openapi.sh runs it).

    check-openapi-routes.py DOCUMENT ROUTES

ROUTES is what `hh-auth routes` prints (a file, or - for stdin): one route a line,
`METHOD PATTERN read-only|side-effects SCHEME`, SCHEME `basic-admin`, `session` or `public`.

Fails (exit 1, one line per problem) when
- a route is not in the document's paths and methods, or the document has an operation that is
  no route (both directions, by method and path template, named);
- a `head` operation is not the HEAD of a read-only GET route (the router answers HEAD only
  there); documenting HEAD is optional;
- an operation's security (its own `security`, else the document's) is not exactly what its
  route's scheme accepts: `basic-admin` routes exactly `[{adminBasic: []}]`; `session` routes
  exactly the two alternatives `[{sessionBearer: []}, {sessionCookie: []}]` (the handlers take
  the session from either, nothing else, never anonymously); `public` routes never name
  `adminBasic`, and when they name a scheme at all (an optional Bearer, say) each scheme is an
  alternative of its own and the anonymous `{}` is one too, since anyone reaches them;
- anywhere (also on a HEAD operation), a requirement object names two schemes at once (OpenAPI
  reads that as "both required", which no route asks), or a scheme that
  `components.securitySchemes` does not define;
- a scheme the routes use is not defined as the service checks it: `adminBasic` HTTP Basic
  (`type: http`, `scheme: basic`), `sessionBearer` HTTP Bearer (`type: http`, `scheme: bearer`),
  `sessionCookie` the production cookie (`type: apiKey`, `in: cookie`, `name:
  __Host-hh_auth_session`); a client generated from the document sends what these say;
- an operation does not document nginx's own 502 (`Service temporarily unavailable`) and 504
  (`Service did not answer in time`) among its examples, or marks `X-Request-Id` required on
  them (nginx's own answers have none);
- a route has a scheme this check does not know (teach it the new scheme first).
Needs PyYAML only.
"""

import sys

import yaml
from openapi_refs import resolve

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ADMIN, SESSION, PUBLIC = "basic-admin", "session", "public"


def read_routes(lines):
    routes = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 4 or fields[2] not in ("read-only", "side-effects"):
            raise SystemExit("check-openapi: line %d of the route table is not `METHOD PATTERN effects scheme`: %r"
                             % (number, line.rstrip("\n")))
        method, pattern, effects, scheme = fields
        routes[(method.upper(), pattern)] = (effects, scheme)
    if not routes:
        raise SystemExit("check-openapi: the route table is empty (did `hh-auth routes` run?)")
    return routes


def read_operations(document):
    """{(METHOD, path): operation} in the document's order."""
    operations = {}
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            if isinstance(item, dict) and method in item:
                operations[(method.upper(), path)] = item[method] or {}
    return operations


def shape(path):
    """The path with its parameter names blanked: `/admin/users/{}`."""
    out, depth = [], 0
    for char in path:
        if char == "{":
            depth += 1
            out.append("{")
        elif char == "}":
            depth -= 1
            out.append("}")
        elif depth == 0:
            out.append(char)
    return "".join(out)


def name(key):
    return "%s %s" % key


def compare_routes(routes, operations):
    problems = []
    documented_heads = {key for key in operations if key[0] == "HEAD"}
    for key, (effects, scheme) in routes.items():
        if key not in operations:
            near = [other for other in operations if other[0] == key[0] and shape(other[1]) == shape(key[1])]
            hint = " (the document has %s: name the path parameters as the router does)" % name(near[0]) if near else ""
            problems.append("route %s (%s) is not in the document%s" % (name(key), scheme, hint))
    for key in operations:
        if key[0] == "HEAD":
            continue
        if key not in routes:
            problems.append("the document has %s, which is no route of hh-auth (hh-auth routes)" % name(key))
    for key in sorted(documented_heads):
        get = routes.get(("GET", key[1]))
        if get is None:
            problems.append("the document has %s, but there is no GET %s route to answer HEAD" % (name(key), key[1]))
        elif get[0] != "read-only":
            problems.append("the document has %s, but GET %s has side effects: the router answers its HEAD with 405"
                            % (name(key), key[1]))
    return problems


def requirements(operation, document):
    """The operation's security requirement alternatives, as frozensets of scheme names."""
    security = operation.get("security", document.get("security"))
    if security is None:
        return []
    return [frozenset(requirement or {}) for requirement in security]


ADMIN_SECURITY = [frozenset({"adminBasic"})]
SESSION_SECURITY = [frozenset({"sessionBearer"}), frozenset({"sessionCookie"})]


def same(alternatives, expected):
    """The same alternatives, in any order, each once."""
    return len(alternatives) == len(expected) and set(alternatives) == set(expected)


# What each scheme the route schemes name must be, as the service reads it (the HTTP scheme names
# are case-insensitive, RFC 9110).
SCHEME_DEFINITIONS = {
    "adminBasic": {"type": "http", "scheme": "basic"},
    "sessionBearer": {"type": "http", "scheme": "bearer"},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "__Host-hh_auth_session"},
}


def compare_scheme_definitions(document):
    problems = []
    defined = (document.get("components") or {}).get("securitySchemes") or {}
    for scheme, expected in SCHEME_DEFINITIONS.items():
        definition = resolve(document, defined.get(scheme))
        if not isinstance(definition, dict):
            problems.append("components.securitySchemes does not define %s (%s)" % (scheme, describe_fields(expected)))
            continue
        got = {field: definition.get(field) for field in expected}
        if "scheme" in got and isinstance(got["scheme"], str):
            got["scheme"] = got["scheme"].lower()
        if got != expected:
            problems.append("components.securitySchemes.%s is %s, must be %s (what the service checks)"
                            % (scheme, describe_fields(got), describe_fields(expected)))
    return problems


def describe_fields(fields):
    return ", ".join("%s: %s" % (field, value) for field, value in fields.items())


def compare_security(routes, operations, document):
    problems = []
    defined = set(((document.get("components") or {}).get("securitySchemes") or {}))
    for key, operation in operations.items():
        method, path = key
        alternatives = requirements(operation, document)
        names = set().union(*alternatives) if alternatives else set()
        for alternative in alternatives:
            if len(alternative) > 1:
                problems.append("%s: the requirement %s names %d schemes at once, which means all of them are "
                                "required; list each as its own alternative"
                                % (name(key), describe([alternative]), len(alternative)))
        for unknown in sorted(names - defined):
            problems.append("%s names the security scheme %r, which components.securitySchemes does not define"
                            % (name(key), unknown))
        route = routes.get(key) or (routes.get(("GET", path)) if method == "HEAD" else None)
        if route is None:
            continue
        scheme = route[1]
        anonymous = any(not alternative for alternative in alternatives)
        where = "%s (%s route)" % (name(key), scheme)
        if scheme == ADMIN:
            if not same(alternatives, ADMIN_SECURITY):
                problems.append("%s must have exactly security [{adminBasic: []}], has %s"
                                % (where, describe(alternatives)))
        elif scheme == SESSION:
            if not same(alternatives, SESSION_SECURITY):
                problems.append("%s must have exactly security [{sessionBearer: []}, {sessionCookie: []}] "
                                "(either one, nothing anonymous), has %s" % (where, describe(alternatives)))
        elif scheme == PUBLIC:
            if "adminBasic" in names:
                problems.append("%s names adminBasic, which a public route never checks" % where)
            if alternatives and not anonymous:
                problems.append("%s is reached by anyone: its security %s must also allow {} (anonymous)"
                                % (where, describe(alternatives)))
            if len(alternatives) != len(set(alternatives)):
                problems.append("%s lists an alternative twice: %s" % (where, describe(alternatives)))
        else:
            problems.append("%s: the route table's scheme %r is unknown to scripts/lib/check-openapi-routes.py"
                            % (where, scheme))
    return problems


NGINX_ERRORS = {"502": "Service temporarily unavailable", "504": "Service did not answer in time"}


def details(document, response):
    """The `detail` strings of a response's JSON example(s)."""
    media = ((resolve(document, response).get("content") or {}).get("application/json")) or {}
    found = []
    if isinstance(media.get("example"), dict):
        found.append(media["example"].get("detail"))
    for example in (media.get("examples") or {}).values():
        value = resolve(document, example).get("value")
        if isinstance(value, dict):
            found.append(value.get("detail"))
    return found


def compare_nginx_errors(operations, document):
    problems = []
    for key, operation in operations.items():
        responses = operation.get("responses") or {}
        for status, detail in NGINX_ERRORS.items():
            response = responses.get(status)
            if response is None:
                problems.append("%s does not document nginx's own %s (%s)" % (name(key), status, detail))
                continue
            if detail not in details(document, response):
                problems.append("%s: its %s has no example with nginx's detail %r" % (name(key), status, detail))
            headers = resolve(document, response).get("headers") or {}
            if resolve(document, headers.get("X-Request-Id") or {}).get("required"):
                problems.append("%s: its %s requires X-Request-Id, which nginx's own %s does not carry"
                                % (name(key), status, status))
    return problems


def describe(alternatives):
    if not alternatives:
        return "no security"
    return "[" + ", ".join("{" + ", ".join(sorted(a)) + "}" for a in alternatives) + "]"


def main(argv):
    if len(argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    with open(argv[1], encoding="utf-8") as file:
        document = yaml.safe_load(file)
    if argv[2] == "-":
        routes = read_routes(sys.stdin.readlines())
    else:
        with open(argv[2], encoding="utf-8") as file:
            routes = read_routes(file.readlines())
    operations = read_operations(document)
    problems = (compare_routes(routes, operations) + compare_scheme_definitions(document)
                + compare_security(routes, operations, document) + compare_nginx_errors(operations, document))
    for problem in problems:
        print("check-openapi: %s" % problem)
    if problems:
        return 1
    print("check-openapi: %d routes = the document's %d operations (%d HEAD), security as the route table says (its schemes as the service checks them), nginx's 502 and 504 on each"
          % (len(routes), len(operations), sum(1 for key in operations if key[0] == "HEAD")))
    return 0


if __name__ == "__main__":
    from tool_exit import run

    run(main, sys.argv)
