-- wrk script for bench/load.sh: the bare `GET /healthz` on the same server and
-- load as the durable conversations, so that the cost of a durable request can
-- be read as a ratio (docs/performance.md). Prints one GUICHET line.

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("GUICHET healthz requests=%d errors=%d requests_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
