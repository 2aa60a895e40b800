-- wrk script for scripts/bench.sh: one route, optionally a random session per request in one
-- of the three ways the service accepts it, and a count of every answer that is not 2xx (wrk
-- itself only counts >= 400).
--
--   BENCH_METHOD        GET (default), POST, ...
--   BENCH_SESSIONS_FILE one session id per line; each request carries a random one, as
--                       BENCH_STYLE says:
--   BENCH_STYLE         bearer (default)  `Authorization: Bearer <id>`
--                       cookie            `Cookie: hh_auth_session=<id>` (a browser's session
--                                         cookie over plain HTTP, for a page nginx protects)
--                       body              JSON body `{"session_id":"<id>"}` with
--                                         Content-Type: application/json (as the clients
--                                         call POST /auth/token)
--                       query             `?session_id=<url-encoded id>` appended to the path
--                                         (`&` when it has a query already; as the clients
--                                         call GET /users/me)
--   BENCH_AUTH          a fixed Authorization header value (e.g. "Basic ...")
--   BENCH_BODY          a fixed request body (Content-Type: application/json); not with
--                       BENCH_STYLE=body
--
-- Every request is formatted once in init (one per session), so request() is a table lookup:
-- choosing and formatting requests costs wrk the same for the service and the ceiling, whatever
-- the style (reading the answers does not: see scripts/bench.sh on answer sizes).
-- `done` prints "non-2xx: N" (and the first unexpected status), which bench.sh reads.

local method = os.getenv("BENCH_METHOD") or "GET"
local sessions_file = os.getenv("BENCH_SESSIONS_FILE") or ""
local style = os.getenv("BENCH_STYLE") or ""
local auth = os.getenv("BENCH_AUTH") or ""
local body = os.getenv("BENCH_BODY")
if style == "" then style = "bearer" end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

local requests = {}
non2xx = 0
first_bad = 0

local function json_string(s)
   return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function url_encode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- The request for one session id (nil: the route without a session).
local function format(id)
   local headers = {}
   local path, req_body = nil, body
   if auth ~= "" then headers["Authorization"] = auth end
   if id then
      if style == "bearer" then
         headers["Authorization"] = "Bearer " .. id
      elseif style == "cookie" then
         headers["Cookie"] = "hh_auth_session=" .. id
      elseif style == "body" then
         req_body = '{"session_id":' .. json_string(id) .. '}'
      elseif style == "query" then
         local sep = wrk.path:find("?", 1, true) and "&" or "?"
         path = wrk.path .. sep .. "session_id=" .. url_encode(id)
      else
         error("BENCH_STYLE must be bearer, cookie, body or query, not: " .. style)
      end
   end
   if req_body then headers["Content-Type"] = "application/json" end
   return wrk.format(method, path, headers, req_body)
end

function init(args)
   math.randomseed(os.time() * 1000 + (thread_id or 0))
   if sessions_file ~= "" then
      for line in io.lines(sessions_file) do
         if line ~= "" then requests[#requests + 1] = format(line) end
      end
      if #requests == 0 then error("no sessions in " .. sessions_file) end
   else
      requests[1] = format(nil)
   end
end

function request()
   return requests[math.random(#requests)]
end

function response(status, resp_headers, resp_body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_bad == 0 then first_bad = status end
   end
end

function done(summary, latency, requests)
   local total, bad = 0, 0
   for _, thread in ipairs(threads) do
      total = total + (thread:get("non2xx") or 0)
      local b = thread:get("first_bad") or 0
      if bad == 0 and b ~= 0 then bad = b end
   end
   io.write(string.format("non-2xx: %d\n", total))
   if bad ~= 0 then io.write(string.format("first non-2xx status: %d\n", bad)) end
end
