-- wrk script: POST /v1/echo with a ~300-byte JSON record (a credit-model
-- style request), and one machine-readable line at the end for `run`.
wrk.method = "POST"
wrk.path = "/v1/echo"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"records":[{"id":"C-000184467","loan_amount":18250.0,' ..
  '"term_months":36,"interest_rate":0.1349,"annual_income":72000,' ..
  '"employment_years":7,"home_ownership":"MORTGAGE","purpose":' ..
  '"debt_consolidation","dti":18.42,"delinq_2y":0,"open_accounts":11,' ..
  '"revol_util":0.463,"state":"CA","grade":"C","verified":true}]}'

done = function(summary, latency, requests)
  local errs = summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "WRK rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errs,
    summary.requests))
end
