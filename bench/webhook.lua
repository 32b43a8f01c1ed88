-- wrk script for bench/webhook: POSTs one signed pull_request payload with a fresh
-- delivery id per request (the signature covers the body, not the headers, so one
-- signature serves every request and every delivery is new: none is a duplicate).
-- BENCH_BODY: the payload file; BENCH_SIG: "sha256=<hex>"; BENCH_RUN: an id prefix.
local body, sig, prefix, counter = nil, os.getenv("BENCH_SIG"), nil, 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  body = f:read("*a")
  f:close()
  prefix = os.getenv("BENCH_RUN") .. "-" .. tid .. "-"
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/webhook", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "pull_request",
    ["X-GitHub-Delivery"] = prefix .. counter,
    ["X-Hub-Signature-256"] = sig,
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
