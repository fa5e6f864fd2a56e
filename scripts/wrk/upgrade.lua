-- upgrade.lua: every request is a complete WebSocket upgrade to WAMP v1;
-- the figure is upgrades per second.
--
--   wrk -t4 -c400 -d10s -s scripts/wrk/upgrade.lua http://127.0.0.1:8090/
--
-- Each request is GET / with Upgrade: websocket, Connection: Upgrade, a
-- Sec-WebSocket-Key, Version 13 and Protocol wamp. A response counts as
-- valid only if it is 101 Switching Protocols with the right
-- Sec-WebSocket-Accept and the wamp subprotocol; anything else is counted
-- invalid, per status.
--
-- What wrk does after a 101: wampgate sends the WAMP WELCOME in the same
-- TCP segment as the 101. wrk's HTTP parser stops at the end of the 101's
-- headers, so wrk finds bytes it cannot parse (the WebSocket frame),
-- counts a read error and reconnects. So every upgrade is made on a fresh
-- TCP connection, and brings exactly one read error with it: report()
-- counts those as expected and shows only the rest as unexpected. (Had
-- the WELCOME come later, wrk would send its next GET on the WebSocket;
-- the server answers with close 1002 and wrk again counts one read error
-- and reconnects.) The server's work per valid response: accept, the
-- upgrade, the 101 and WELCOME in one write, opening and closing a WAMP
-- session when wrk drops the connection.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

-- RFC 6455's sample key and its accept value.
local key, accept = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

wrk.method = "GET"
wrk.headers["Upgrade"] = "websocket"
wrk.headers["Connection"] = "Upgrade"
wrk.headers["Sec-WebSocket-Key"] = key
wrk.headers["Sec-WebSocket-Version"] = "13"
wrk.headers["Sec-WebSocket-Protocol"] = "wamp"

function response(status, headers, body)
	record(status, status == 101
		and header(headers, "Sec-WebSocket-Accept") == accept
		and header(headers, "Sec-WebSocket-Protocol") == "wamp")
end

function done(summary, latency, requests)
	report("upgrade", 1, summary, latency)
end
