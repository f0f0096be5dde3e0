-- wrk script for scripts/bench-http.sh: POSTs the request bodies of a file (one JSON per line)
-- in turn, with a bearer token, over keep-alive connections.
--   NOC_BENCH_PATH    request path, e.g. /api/v1/calculations/planetary-positions
--   NOC_BENCH_BODIES  file of bodies (varied dates and places, so no cache helps)
--   NOC_TOKEN         bearer token
-- Requests are formatted once in init() so that wrk spends its CPU on sending, not on Lua.

local requests = {}
local count = 0
local next_index = 0

function init(args)
  local path = os.getenv("NOC_BENCH_PATH")
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("NOC_TOKEN"),
  }
  for line in io.lines(os.getenv("NOC_BENCH_BODIES")) do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("POST", path, headers, line)
    end
  end
  -- Threads start at different offsets of the same pool.
  next_index = math.random(count) - 1
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end
