-- wrk script: POST GraphQL bodies from bench/bodies.txt (one JSON body per line), round robin,
-- and print a JSON summary (percentiles, requests, errors) at the end.
-- Arguments: the bodies file, a bearer token, and wrk's thread count: with several lines,
-- each thread takes its own share of them (line i goes to thread i mod threads), so two
-- threads never send the same mutation at once.
-- A response is an error when it is not 200 or its body carries "errors".
local bodies = {}
local counter = 0
graphql_errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads - 1)
end

function init(args)
  local all = {}
  for line in io.lines(args[1]) do all[#all + 1] = line end
  local count = tonumber(args[3] or "1") or 1
  if thread_index == nil or thread_index >= count then thread_index = 0; count = 1 end
  for i, line in ipairs(all) do
    if #all < count or (i - 1) % count == thread_index then bodies[#bodies + 1] = line end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] and args[2] ~= "" then wrk.headers["Authorization"] = "Bearer " .. args[2] end
  -- bench/run.py measures one subgraph directly too, which answers only the router's secret.
  local secret = os.getenv("CRMGRAPH_ROUTER_SECRET")
  if secret and secret ~= "" then wrk.headers["X-Router-Secret"] = secret end
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  for _, thread in ipairs(threads) do errors = errors + thread:get("graphql_errors") end
  io.write(string.format(
    '\nRESULT {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
