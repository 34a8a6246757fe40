-- wrk script of bench/run.py: POSTs the request bodies of a file (one JSON body per line,
-- round robin) and checks EVERY answer against the answers verified before the run.
-- Arguments (after wrk's `--`): the bodies file, the answers file (line i: the hex-encoded
-- bytes of the verified answer to body i), a bearer token ("" for none), wrk's thread count,
-- then any number of extra "Name: value" headers.
-- With several lines each thread takes its own share (line i goes to thread i mod threads),
-- so two threads never send the same mutation at once.
--
-- An answer is correct when its status is 200 and its body is byte for byte the verified
-- answer of a body this thread sent, and no more answers of that kind have arrived than
-- requests for it were sent (wrk does not say which connection an answer came from, so an
-- answer is matched to the kind of request, not to the single request). Everything else is
-- wrong: another status, GraphQL `errors`, other data. done() prints the counts; run.py
-- counts req/s from correct answers only and fails the run on any wrong one.
local bodies = {}      -- this thread's share of the bodies
local kind_of = {}     -- body index -> answer kind (bodies with the same answer share one)
local kinds = {}       -- answer bytes -> kind
local sent = {}        -- kind -> requests sent
local answered = {}    -- kind -> correct answers received
local counter = 0
local threads = {}
correct = 0
wrong = 0
first_wrong = ""

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads - 1)
end

local function lines(path)
  local found = {}
  for line in io.lines(path) do found[#found + 1] = line end
  return found
end

local function unhex(text)
  return (text:gsub("%x%x", function(pair) return string.char(tonumber(pair, 16)) end))
end

function init(args)
  local all, answers = lines(args[1]), lines(args[2])
  if #answers ~= #all then
    error(string.format("%d bodies but %d answers", #all, #answers))
  end
  local count = tonumber(args[4] or "1") or 1
  if thread_index == nil or thread_index >= count then thread_index = 0; count = 1 end
  local kinds_count = 0
  for i, line in ipairs(all) do
    if #all < count or (i - 1) % count == thread_index then
      bodies[#bodies + 1] = line
      local answer = unhex(answers[i])
      local kind = kinds[answer]
      if kind == nil then
        kinds_count = kinds_count + 1
        kind = kinds_count
        kinds[answer] = kind
        sent[kind] = 0
        answered[kind] = 0
      end
      kind_of[#bodies] = kind
    end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[3] and args[3] ~= "" then wrk.headers["Authorization"] = "Bearer " .. args[3] end
  for i = 5, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

function request()
  counter = counter + 1
  local index = (counter % #bodies) + 1
  local kind = kind_of[index]
  sent[kind] = sent[kind] + 1
  return wrk.format(nil, nil, nil, bodies[index])
end

function response(status, headers, body)
  local kind = status == 200 and kinds[body] or nil
  if kind ~= nil and answered[kind] < sent[kind] then
    answered[kind] = answered[kind] + 1
    correct = correct + 1
  else
    wrong = wrong + 1
    if first_wrong == "" then first_wrong = status .. " " .. body:sub(1, 300) end
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
    .. '"'
end

function done(summary, latency, requests)
  local correct_total, wrong_total, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    correct_total = correct_total + thread:get("correct")
    wrong_total = wrong_total + thread:get("wrong")
    if sample == "" then sample = thread:get("first_wrong") end
  end
  local errors = summary.errors
  io.write(string.format(
    '\nRESULT {"requests": %d, "correct": %d, "wrong": %d, "socket_errors": %d, '
      .. '"duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "first_wrong": %s}\n',
    summary.requests, correct_total, wrong_total,
    errors.connect + errors.read + errors.write + errors.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), json_string(sample)))
end
