-- session.lua: every request is a short WAMP v1 session; the figure is
-- sessions per second.
--
--   wrk -t4 -c400 -d10s -s scripts/wrk/session.lua http://127.0.0.1:8090/
--
-- The request is the upgrade of upgrade.lua followed, in the same write,
-- by three masked WebSocket frames: SUBSCRIBE [5,T], PUBLISH
-- [7,T,"wrk",false] (the publisher is not excluded, so the event comes
-- back to it) and a close frame (1000), where T is a topic of the
-- session's own, "bench/wrk/<thread>/<n>". The node processes
-- bytes that arrive after the handshake at once: it upgrades, writes the
-- 101 and WELCOME, subscribes, publishes, delivers the EVENT, answers the
-- close and closes. wrk only sees the 101 (validated as in upgrade.lua)
-- and, as there, one read error per session, which report() expects;
-- wrk has usually dropped the connection before the EVENT and close
-- frame arrive. That the node did the rest is visible in its /healthz
-- counters (scripts/bench-wrk.sh compares them: one publication and two
-- messages per session).

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local key, accept = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
local mask = { 0x37, 0xfa, 0x21, 0x3d }

-- frame returns a masked client frame (FIN set) of opcode op; payloads
-- stay under 126 bytes.
local function frame(op, payload)
	local out = { string.char(0x80 + op, 0x80 + #payload), string.char(unpack(mask)) }
	for i = 1, #payload do
		out[#out + 1] = string.char(bit.bxor(payload:byte(i), mask[(i - 1) % 4 + 1]))
	end
	return table.concat(out)
end

wrk.method = "GET"
wrk.headers["Upgrade"] = "websocket"
wrk.headers["Connection"] = "Upgrade"
wrk.headers["Sec-WebSocket-Key"] = key
wrk.headers["Sec-WebSocket-Version"] = "13"
wrk.headers["Sec-WebSocket-Protocol"] = "wamp"

local upgrade, n, checked = nil, 0, false

function init(args)
	upgrade = wrk.format()
	-- setup() numbered the threads before init() ran; wrk checks the
	-- request of the first thread only.
	checked = id ~= 1
end

-- After init() and before the run, wrk checks once that request() returns
-- whole HTTP requests; its parser stops at the end of an upgrade
-- request's headers and calls the frames behind it an "incomplete
-- request". So that call gets the bare upgrade; every request sent
-- carries the frames. Each session has a topic of its own, so sessions
-- open at the same time do not receive each other's events: the node's
-- work per session is fixed.
function request()
	if not checked then
		checked = true
		return upgrade
	end
	n = n + 1
	local topic = string.format('"bench/wrk/%d/%d"', id, n)
	return upgrade
		.. frame(1, "[5," .. topic .. "]")
		.. frame(1, "[7," .. topic .. ',"wrk",false]')
		.. frame(8, string.char(0x03, 0xe8)) -- close 1000
end

function response(status, headers, body)
	record(status, status == 101
		and header(headers, "Sec-WebSocket-Accept") == accept
		and header(headers, "Sec-WebSocket-Protocol") == "wamp")
end

local setup_common = setup
local threads_seen = 0

-- setup numbers the threads 1, 2, … (global id in each thread).
function setup(thread)
	threads_seen = threads_seen + 1
	thread:set("id", threads_seen)
	setup_common(thread)
end

function done(summary, latency, requests)
	report("session", 1, summary, latency)
end
