-- healthz.lua: plain HTTP, GET /healthz; the figure is health checks per
-- second (the HTTP path of nginx and of the node, no WebSocket).
--
--   wrk -t4 -c400 -d10s -s scripts/wrk/healthz.lua http://127.0.0.1:8090/
--
-- A response is valid when it is 200 with a JSON body whose status is
-- "ok". wampgate answers /healthz with Connection: close, so wrk opens a
-- new TCP connection to nginx (or the node) for every request; nginx
-- opens one to a node for each as well.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

wrk.method = "GET"
wrk.path = "/healthz"

function response(status, headers, body)
	record(status, status == 200 and body:find('"status":"ok"', 1, true) ~= nil)
end

function done(summary, latency, requests)
	report("healthz", 0, summary, latency)
end
