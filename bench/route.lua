-- wrk script for scripts/bench.sh: one route, optionally a random session per request,
-- and a count of every answer that is not 2xx (wrk itself only counts >= 400).
--
--   BENCH_METHOD        GET (default), POST, ...
--   BENCH_SESSIONS_FILE one session id per line: each request sends
--                       `Authorization: Bearer <a random one>`
--   BENCH_AUTH          a fixed Authorization header value (e.g. "Basic ...")
--   BENCH_BODY          request body (sent with Content-Type: application/json)
--
-- `done` prints "non-2xx: N" (and the first unexpected status), which bench.sh reads.

local method = os.getenv("BENCH_METHOD") or "GET"
local sessions_file = os.getenv("BENCH_SESSIONS_FILE") or ""
local auth = os.getenv("BENCH_AUTH") or ""
local body = os.getenv("BENCH_BODY")

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

local sessions = {}
local headers = {}
non2xx = 0
first_bad = 0

function init(args)
   math.randomseed(os.time() * 1000 + (thread_id or 0))
   if sessions_file ~= "" then
      for line in io.lines(sessions_file) do
         if line ~= "" then sessions[#sessions + 1] = line end
      end
      if #sessions == 0 then error("no sessions in " .. sessions_file) end
   end
   if auth ~= "" then headers["Authorization"] = auth end
   if body then headers["Content-Type"] = "application/json" end
end

function request()
   if #sessions > 0 then
      headers["Authorization"] = "Bearer " .. sessions[math.random(#sessions)]
   end
   return wrk.format(method, nil, headers, body)
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
