-- wrk script that checks every response. `-- hello` expects "hello world"; `-- counter` runs one
-- session per wrk thread (run wrk with -t equal to -c, so each connection has its own Lua state):
-- it sends back the cookie from the last Set-Cookie and expects "count=0", "count=1", ... in turn.
-- `-- counter-post` is the same counter, but after the first GET every request is a POST carrying the
-- `x-csrf-token` the server sent (and an `Origin` of the server itself, as a browser's fetch would).
-- done() prints one line, "CHECK ok=<n> bad=<n> first=<reason>", that bench/run.mjs parses.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Globals, so that done() can read them from each thread with thread:get().
ok = 0
bad = 0
firstError = ""

local mode = "hello"
local expected = 0
local cookie = nil
local token = nil
local cached = nil

function init(args)
  mode = args[1] or "hello"
  cached = wrk.format()
end

function request()
  return cached
end

-- A short, one-line excerpt of a body for the report.
local function excerpt(body)
  return (body:sub(1, 60):gsub("%c", "?"))
end

local function fail(reason)
  bad = bad + 1
  if firstError == "" then
    firstError = reason
  end
end

function response(status, headers, body)
  if mode == "hello" then
    if status == 200 and body == "hello world" then
      ok = ok + 1
    else
      fail(string.format("status %d, body '%s' (expected 200 'hello world')", status, excerpt(body)))
    end
    return
  end

  local want = "count=" .. expected
  if status == 200 and body == want then
    ok = ok + 1
  else
    fail(string.format("status %d, body '%s' (expected 200 '%s')", status, excerpt(body), want))
  end
  -- Resynchronise on the server's count so that one lost session is one error, not all that follow.
  local n = tonumber(body:match("^count=(%d+)$") or "")
  expected = (n or expected) + 1

  -- wrk keeps only the last header of a given name; every target sets exactly one session cookie.
  local changed = false
  for name, value in pairs(headers) do
    local lower = name:lower()
    if lower == "set-cookie" then
      cookie = value:match("^[^;]*")
      changed = true
    elseif lower == "x-csrf-token" and mode == "counter-post" and token == nil then
      -- Any one token of the session validates for its whole life: keep the first.
      token = value
      changed = true
    end
  end
  if changed then
    if mode == "counter-post" and token ~= nil and cookie ~= nil then
      local origin = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port
      cached = wrk.format("POST", nil, { Cookie = cookie, ["x-csrf-token"] = token, Origin = origin })
    else
      cached = wrk.format(nil, nil, { Cookie = cookie })
    end
  end
end

function done(summary, latency, requests)
  local okSum, badSum, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    okSum = okSum + thread:get("ok")
    badSum = badSum + thread:get("bad")
    local reason = thread:get("firstError")
    if first == "" and reason ~= "" then
      first = reason
    end
  end
  io.write(string.format("CHECK ok=%d bad=%d first=%s\n", okSum, badSum, first))
end
