"""schemathesis hooks of scripts/schemathesis.sh: credentials per operation and live sessions.

schemathesis imports this module (SCHEMATHESIS_HOOKS=schemathesis_hooks, scripts/lib on
PYTHONPATH). From the environment the script sets:
  HH_AUTH_ST_SERVICE   host:port of nginx in front of hh-auth
  HH_AUTH_ST_STANDIN   host:port of the stand-in HH (its /oauth/authorize)
  HH_AUTH_ST_ADMIN     admin:password of the admin API
  HH_AUTH_ST_USER      the whitelisted HH user id of the shared session
  HH_AUTH_ST_SPARE     another whitelisted HH user id, for sessions that operations end
  HH_AUTH_ST_STATUSES  where to write the statuses per operation at exit (JSON), for
                       scripts/lib/schemathesis_coverage.py

Authentication follows the operation's `security` in the document: `adminBasic` gets HTTP Basic
with the admin's credentials, `sessionBearer` gets `Authorization: Bearer <session id>` of a real
session, made through the real sign-in (/auth/login -> the stand-in's authorize -> /auth/callback
-> POST /auth/exchange, bench/hhload.py's `login`), as a program would. Operations that name
neither are sent as generated.

Sessions: one shared session of HH_AUTH_ST_USER serves the session operations, and is signed in
again once an answer says it is dead (a 401 to a request that carried it: something ended it,
e.g. a DELETE of its handle that the stateful phase found in a listing). Operations that end the
caller's sessions (POST /auth/logout, DELETE /auth/sessions: every session of the user) get a new
session of HH_AUTH_ST_SPARE for each case, so they never end the shared one. A generated handle is
never one of the caller's, so every third DELETE /auth/sessions/{handle} is sent for the handle
of a new session of the same user instead: the operation's 200 is tested too.

The session id two ways: POST /auth/token, /auth/refresh, /auth/logout and GET /users/me also
take it the original clients' way, in the body's (the query's) `session_id`. Every other case of
theirs drops the Bearer header and goes that way; of those, every other one carries the real
session there (its 200) and the rest go as generated (their 401 and 422).

The browser's sign-out: every other GET and POST /auth/sign_out carries the cookie
(`hh_auth_session`, its name over plain HTTP) of a new browser session of HH_AUTH_ST_SPARE, made
by a real sign-in with `rd` for it alone (never the shared session, which is HH_AUTH_ST_USER's and
never a cookie), so a session really is ended through it; the rest go as generated, without one.
The check `sign_out_ends_the_cookies_session` then asks the service whether that session is gone:
after the service's 302 or 400 (it ends the session before it checks `rd`) it must be.

Real sign-ins for the login operations: every third GET /auth/callback is sent with the `state`
and `code` of a sign-in started for it (/auth/login, then the stand-in's authorize) and that
sign-in's pre-auth cookie, so the callback's 200 page is tested too; every third POST
/auth/exchange with the exchange code of such a callback.

At the end the statuses each operation (each way) got are printed (to stderr, in the log) and
written to HH_AUTH_ST_STATUSES: scripts/lib/schemathesis_coverage.py fails the run when an
operation never got a success (whatever schemathesis says, it did not test it).

The whitelisted users stay: a generated DELETE /admin/users/{hh_user_id} naming either of them is
sent for another id instead (before_call), so the run cannot end its own sessions that way.
"""

import atexit
import base64
import collections
import itertools
import json
import os
import sys
import threading
import urllib.parse

import schemathesis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench"))
from hhload import EXCHANGE_CODE, Conn, login, path_of  # noqa: E402  (bench/ is put on the path just above)
from schemathesis_coverage import (  # noqa: E402  (scripts/lib, as this module)
    BEARER, SIGN_OUT, TWO_WAYS, WITH_COOKIE, WITHOUT_COOKIE, label)

SERVICE = os.environ["HH_AUTH_ST_SERVICE"]
STANDIN = os.environ["HH_AUTH_ST_STANDIN"]
ADMIN_AUTHORIZATION = "Basic " + base64.b64encode(os.environ["HH_AUTH_ST_ADMIN"].encode()).decode()
USER = os.environ["HH_AUTH_ST_USER"]
SPARE = os.environ["HH_AUTH_ST_SPARE"]
KEPT_USERS = {USER, SPARE}

# (METHOD, path template) of the operations that end the caller's session(s).
ENDS_SESSIONS = {("POST", "/auth/logout"), ("DELETE", "/auth/sessions")}
ENDS_ONE_SESSION = ("DELETE", "/auth/sessions/{handle}")
REMOVES_USER = ("DELETE", "/admin/users/{hh_user_id}")
# An id no sign-in uses: what a generated removal of a kept user removes instead.
NOT_KEPT = "1"
# The browser session cookie's name over plain HTTP (nginx here listens without TLS): the
# document's sessionCookie is the production name, __Host-hh_auth_session, which needs HTTPS.
SESSION_COOKIE = "hh_auth_session"


def sign_in(hh_user_id):
    """A new session id, through the real sign-in flow (a fresh cookie jar each time)."""
    return login(Conn(SERVICE, None, user_agent="schemathesis-hooks/1"), Conn(STANDIN, None), hh_user_id)


def start_sign_in(hh_user_id, login_query=""):
    """A sign-in up to HH's redirect back: (the callback's query, the browser's Conn with its cookie)."""
    browser = Conn(SERVICE, None, user_agent="schemathesis-hooks/1")
    _, location, _ = browser.request("GET /auth/login", "GET", "/auth/login" + login_query, expect=(302,))
    _, location, _ = Conn(STANDIN, None).request(
        "GET stand-in /oauth/authorize", "GET", path_of(location) + "&as_user=" + hh_user_id, expect=(302,))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    return {name: values[0] for name, values in query.items()}, browser


def exchange_code(hh_user_id):
    """A fresh one-time exchange code, from a real callback."""
    query, browser = start_sign_in(hh_user_id)
    _, _, page = browser.request("GET /auth/callback", "GET", "/auth/callback?" + urllib.parse.urlencode(query),
                                 headers={"Accept": "text/html"})
    return EXCHANGE_CODE.search(page.decode("utf-8", "replace")).group(1)


def browser_session(hh_user_id):
    """A new browser session's id: a sign-in with `rd`, whose callback sets the session cookie."""
    query, browser = start_sign_in(hh_user_id, "?rd=%2Fauth%2Faccount")
    browser.request("GET /auth/callback", "GET", "/auth/callback?" + urllib.parse.urlencode(query),
                    headers={"Accept": "text/html"}, expect=(302,))
    return browser.cookies[SESSION_COOKIE]


def session_alive(session_id):
    """Whether the service still takes the session (GET /auth/sessions with it as Bearer)."""
    status, _, _ = Conn(SERVICE, None).request(
        "GET /auth/sessions", "GET", "/auth/sessions", headers={"Authorization": "Bearer " + session_id},
        expect=(200, 401))
    return status == 200


def own_handle(session_id):
    """The handle of a session, as GET /auth/sessions shows it to the session itself."""
    _, _, body = Conn(SERVICE, None).request(
        "GET /auth/sessions", "GET", "/auth/sessions", headers={"Authorization": "Bearer " + session_id})
    return next(session["id"] for session in json.loads(body)["sessions"] if session["current"])


class SharedSession:
    """The session most operations use; signed in again after an answer said it was dead."""

    def __init__(self):
        self.lock = threading.Lock()
        self.session_id = None
        self.sign_ins = 0

    def get(self):
        with self.lock:
            if self.session_id is None:
                self.session_id = sign_in(USER)
                self.sign_ins += 1
            return self.session_id

    def dead(self, session_id):
        with self.lock:
            if self.session_id == session_id:
                self.session_id = None


SHARED = SharedSession()


def schemes(operation):
    """The security scheme names the operation's requirements name (its own, else the document's)."""
    security = operation.definition.raw.get("security", operation.schema.raw_schema.get("security")) or []
    return {name for requirement in security for name in (requirement or {})}


def key(operation):
    return (operation.method.upper(), operation.path)


@schemathesis.auth(refresh_interval=None)
class HHAuth:
    """`Authorization` for an operation, from its security (see the module's doc)."""

    def get(self, case, context):
        names = schemes(context.operation)
        if "adminBasic" in names:
            return ADMIN_AUTHORIZATION
        if "sessionBearer" in names:
            if key(context.operation) in ENDS_SESSIONS:
                return "Bearer " + sign_in(SPARE)
            return "Bearer " + SHARED.get()
        return None

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = data


OWN_HANDLE_TURN = itertools.count()
CALLBACK, EXCHANGE = ("GET", "/auth/callback"), ("POST", "/auth/exchange")
REAL_SIGN_IN_TURN = {CALLBACK: itertools.count(), EXCHANGE: itertools.count()}
WAY_TURN = {operation: itertools.count() for operation in TWO_WAYS}
SIGN_OUT_TURN = {operation: itertools.count() for operation in SIGN_OUT}
# case.id -> (the status table's label, the session id the case carries or None), from
# before_call to after_call.
SENT = {}
SENT_LOCK = threading.Lock()


def session_other_way(case, operation):
    """Every other case without Bearer, the session id in the body or query; returns the label
    and the session it carries (None when the generated value goes)."""
    turn = next(WAY_TURN[operation])
    authorization = case.headers.get("Authorization") or ""
    session_id = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else None
    if turn % 2 == 0:
        return label(operation, BEARER), session_id
    case.headers.pop("Authorization", None)
    way = TWO_WAYS[operation]
    if turn % 4 == 3 or session_id is None:
        return label(operation, way), None
    if way == "query":
        case.query = {**(case.query or {}), "session_id": session_id}
    else:
        case.body = {**(case.body if isinstance(case.body, dict) else {}), "session_id": session_id}
        case.media_type = "application/json"
    return label(operation, way), session_id


def sign_out_with_cookie(case, operation):
    """Every other sign-out with a new browser session's cookie; returns the label and that session
    (None without one)."""
    if case.method.upper() != operation[0] or next(SIGN_OUT_TURN[operation]) % 2:
        return label(operation, WITHOUT_COOKIE), None
    session_id = browser_session(SPARE)
    assert session_id != SHARED.session_id, "a sign-out case must never carry the shared session"
    case.headers = case.headers or {}
    case.headers["Cookie"] = "%s=%s" % (SESSION_COOKIE, session_id)
    return label(operation, WITH_COOKIE), session_id


@schemathesis.hook
def before_call(context, case, kwargs):
    operation = key(case.operation)
    sent = ("%s %s" % operation, None)
    if operation == REMOVES_USER and str(case.path_parameters.get("hh_user_id")) in KEPT_USERS:
        case.path_parameters["hh_user_id"] = NOT_KEPT
    elif operation == ENDS_ONE_SESSION and next(OWN_HANDLE_TURN) % 3 == 0:
        case.path_parameters["handle"] = own_handle(sign_in(USER))
    elif operation in TWO_WAYS:
        sent = session_other_way(case, operation)
    elif operation in SIGN_OUT:
        sent = sign_out_with_cookie(case, operation)
        if sent[1] is not None:
            with SIGNED_OUT_LOCK:
                SIGNED_OUT[case.id] = sent[1]
    elif operation == CALLBACK and next(REAL_SIGN_IN_TURN[CALLBACK]) % 3 == 0:
        query, browser = start_sign_in(USER)
        case.query = query
        case.headers["Cookie"] = "; ".join("%s=%s" % item for item in browser.cookies.items())
    elif operation == EXCHANGE and next(REAL_SIGN_IN_TURN[EXCHANGE]) % 3 == 0:
        case.body = {"exchange_code": exchange_code(USER)}
        case.media_type = "application/json"
    with SENT_LOCK:
        SENT[case.id] = sent


# case.id -> the browser session a sign-out case carried, from before_call to after_call; then
# case.id -> (the sign-out's status, whether the session is still alive), for the check.
SIGNED_OUT = {}
SIGNED_OUT_LOCK = threading.Lock()
SIGN_OUT_OUTCOME = {}

STATUSES = collections.defaultdict(collections.Counter)
STATUSES_LOCK = threading.Lock()


@schemathesis.hook
def after_call(context, case, response):
    with SENT_LOCK:
        name, session_id = SENT.pop(case.id, ("%s %s" % key(case.operation), None))
    with STATUSES_LOCK:
        STATUSES[name][response.status_code] += 1
    with SIGNED_OUT_LOCK:
        signed_out = SIGNED_OUT.pop(case.id, None)
    if signed_out is not None:
        outcome = (response.status_code, session_alive(signed_out))
        with SIGNED_OUT_LOCK:
            SIGN_OUT_OUTCOME[case.id] = outcome
    if response.status_code != 401:
        return
    authorization = response.request.headers.get("Authorization") or ""
    if authorization.startswith("Bearer "):
        SHARED.dead(authorization[len("Bearer "):])
    elif session_id is not None:
        SHARED.dead(session_id)


@schemathesis.check
def sign_out_ends_the_cookies_session(ctx, response, case):
    """A sign-out the service carried out (302, or 400 for a refused `rd`) ended the session whose
    cookie the case carried (the hooks' own browser session)."""
    with SIGNED_OUT_LOCK:
        outcome = SIGN_OUT_OUTCOME.get(case.id)
    if outcome is None:
        return None
    status, alive = outcome
    if status in (302, 400) and alive:
        raise AssertionError("%s answered %d, but the session of the %s cookie it carried is still alive"
                             % (label(key(case.operation)), status, SESSION_COOKIE))
    return None


@atexit.register
def print_statuses():
    if not STATUSES:
        return
    width = max(len(name) for name in STATUSES)
    lines = ["statuses per operation (schemathesis' requests; the shared session was signed in %d times):"
             % SHARED.sign_ins]
    for name in sorted(STATUSES):
        counts = STATUSES[name]
        lines.append("  %-*s  %s" % (width, name, "  ".join("%d x%d" % item for item in sorted(counts.items()))))
    print("\n".join(lines), file=sys.stderr)
    path = os.environ.get("HH_AUTH_ST_STATUSES")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({name: dict(counts) for name, counts in STATUSES.items()}, file, indent=1, sort_keys=True)
