-- Replays pre-built raw HTTP requests, in order, from the file bench/webhooks.py wrote
-- (records of "<byte length>\n<raw request>"), and prints wrk's latency distribution as one
-- JSON line when the run ends.  With several wrk threads, thread i sends records i, i+n, ...
-- so no record is sent twice unless the file runs out ("wrapped" counts the times it did).

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  records = {}
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local len = tonumber(data:sub(pos, nl - 1))
    records[#records + 1] = data:sub(nl + 1, nl + len)
    pos = nl + len + 1
  end
  stride = tonumber(args[2]) or 1
  index = (id or 0) + 1 - stride
  wrapped = 0
end

function request()
  index = index + stride
  if index > #records then
    index = (id or 0) + 1
    wrapped = wrapped + 1
  end
  return records[index]
end

function done(summary, latency, requests)
  local wrapped_total = 0
  for _, t in ipairs(threads) do
    wrapped_total = wrapped_total + (t:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"status_errors": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "wrapped": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, wrapped_total))
end
