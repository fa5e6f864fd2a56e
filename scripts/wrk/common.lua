-- common.lua: shared by the wrk scripts of this directory (each loads it
-- with dofile). It counts, in every wrk thread, the responses the
-- script's check accepts and the statuses seen, and prints at the end one
-- machine-readable line on stdout:
--
--   WRK_RESULT {"script":...,"responses":...,"valid":...,...}
--
-- Fields (durations in seconds, latencies in milliseconds):
--   script                 the script's name (upgrade, healthz, session)
--   duration_s             wrk's run time
--   responses              HTTP responses wrk parsed (its "requests")
--   valid                  responses the script's check accepted
--   valid_per_sec          valid / duration_s: THE figure to quote
--   invalid                responses - valid
--   statuses               status code -> count, over all responses
--   errors                 wrk's socket errors: connect, read, write,
--                          timeout, and status (codes > 399)
--   expected_read_errors   read errors inherent to the script (upgrade
--                          scripts: one per 101, see upgrade.lua)
--   unexpected_read_errors read errors beyond those
--   latency_ms             p50, p90, p99, max, mean: request written ->
--                          response parsed (TCP connect not included)

local json_escape = function(s)
	return (tostring(s):gsub('[%c"\\]', function(c)
		return string.format("\\u%04x", c:byte())
	end))
end

-- Per-thread state (each thread runs its own copy of this file).
valid, invalid, statuses = 0, 0, {}

-- record counts one response; ok is the script's verdict.
function record(status, ok)
	local key = tostring(status)
	statuses[key] = (statuses[key] or 0) + 1
	if ok then
		valid = valid + 1
	else
		invalid = invalid + 1
	end
end

-- header returns the value of header name (case-insensitive), or nil.
function header(headers, name)
	name = name:lower()
	for k, v in pairs(headers) do
		if k:lower() == name then
			return v
		end
	end
	return nil
end

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

-- report prints the WRK_RESULT line. readErrorsPerValid is how many read
-- errors each valid response brings with it by design (0 or 1).
function report(name, readErrorsPerValid, summary, latency)
	local v, inv, st = 0, 0, {}
	for _, t in ipairs(threads) do
		v = v + t:get("valid")
		inv = inv + t:get("invalid")
		for code, n in pairs(t:get("statuses")) do
			st[code] = (st[code] or 0) + n
		end
	end
	local secs = summary.duration / 1e6
	local e = summary.errors
	local expected = math.min(e.read, v * readErrorsPerValid)
	local codes = {}
	for code, n in pairs(st) do
		table.insert(codes, string.format('"%s":%d', json_escape(code), n))
	end
	table.sort(codes)
	local ms = function(us) return us / 1000 end
	io.write(string.format('WRK_RESULT {"script":"%s","duration_s":%.3f,"responses":%d,"valid":%d,'
		.. '"valid_per_sec":%.1f,"invalid":%d,"statuses":{%s},'
		.. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},'
		.. '"expected_read_errors":%d,"unexpected_read_errors":%d,'
		.. '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f}}\n',
		json_escape(name), secs, summary.requests, v, v / secs, inv, table.concat(codes, ","),
		e.connect, e.read, e.write, e.timeout, e.status,
		expected, e.read - expected,
		ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
		ms(latency.max), ms(latency.mean)))
end
