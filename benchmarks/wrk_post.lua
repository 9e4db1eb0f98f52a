-- wrk script of benchmarks/api_load.py: POST one JSON body, report the figures as JSON.
--
--   WRK_BODY=body.json [WRK_AUTHORIZATION="Bearer ..."] wrk -s wrk_post.lua URL
--
-- The body is read from the file WRK_BODY; WRK_AUTHORIZATION, when set, is sent as the
-- Authorization header. done() prints one line starting with "api_load:" holding the
-- latency percentiles (microseconds), the request count, the duration and the errors.

local path = os.getenv("WRK_BODY")
if path == nil then
  error("set WRK_BODY to the file holding the JSON request body")
end
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json, application/json"
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization ~= nil and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'api_load: {"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d}\n',
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0),
    latency.max, summary.requests, summary.duration, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout))
end
