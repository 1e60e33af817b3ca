-- wrk script: GET /healthz, with the same summary line as post.lua.
wrk.path = "/healthz"

done = function(summary, latency, requests)
  local errs = summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "WRK rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errs,
    summary.requests))
end
