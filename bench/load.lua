-- wrk script for bench/load.sh: every connection drives complete
-- conversations on `conges_annuels` (create, then the replies in turn),
-- one request at a time. Run with as many threads as connections (-t N -c N),
-- so each thread's Lua state is exactly one conversation.
--
-- Environment: GUICHET_LOAD_MODE=converse (default) or create (only create
-- conversations, GUICHET_LOAD_CREATES per thread, then stop).

local mode = os.getenv("GUICHET_LOAD_MODE") or "converse"
local creates_wanted = tonumber(os.getenv("GUICHET_LOAD_CREATES") or "0")
local headers = { ["Content-Type"] = "application/json" }
local create_body = '{"topic":"conges_annuels","profile":{}}'
local texts = { "titulaire", "5" }

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  id = nil
  next_reply = 1
  replies = 0
  conversations = 0
  creates = 0
  errors = 0
end

function request()
  if id == nil then
    return wrk.format("POST", "/api/sessions", headers, create_body)
  end
  return wrk.format("POST", "/api/sessions/" .. id .. "/replies", headers,
    '{"text":"' .. texts[next_reply] .. '"}')
end

function response(status, hdrs, body)
  if id == nil then
    if status ~= 201 then errors = errors + 1; return end
    creates = creates + 1
    if mode == "create" then
      if creates >= creates_wanted then wrk.thread:stop() end
      return
    end
    id = body:match('"id"%s*:%s*"([^"]+)"')
    next_reply = 1
  else
    if status ~= 200 then errors = errors + 1; id = nil; return end
    replies = replies + 1
    next_reply = next_reply + 1
    if next_reply > #texts then
      if not body:find('"done"%s*:%s*true') then errors = errors + 1 end
      conversations = conversations + 1
      id = nil
    end
  end
end

function done(summary, latency, requests)
  local r, c, k, e = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("replies")
    c = c + t:get("conversations")
    k = k + t:get("creates")
    e = e + t:get("errors")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("GUICHET requests=%d creates=%d replies=%d conversations=%d errors=%d seconds=%.2f\n",
    summary.requests, k, r, c, e, seconds))
  io.write(string.format("GUICHET replies_per_s=%.0f requests_per_s=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    r / seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
