-- http_call.lua -- wrk script for bench/http.sh: pipelines nothing, each of
-- wrk's connections POSTs one tools/call after another on one MCP session.
-- Request ids are unique per thread (the anchor routes answers by id);
-- answers that are not HTTP 200 carrying the product 42 are counted as bad.
local session = os.getenv("MCP_SESSION")
local tool = os.getenv("MCP_TOOL")
counter = 0
bad = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.headers["Mcp-Session-Id"] = session
  wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"jsonrpc":"2.0","id":"%d-%d","method":"tools/call","params":{"name":"%s",' ..
    '"arguments":{"a":6,"b":7,"op":"*"}}}', id, counter, tool)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"text":"42"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
  end
  io.write(string.format("bad answers: %d\n", total))
  io.write(string.format("p50_us %d p90_us %d p99_us %d max_us %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
