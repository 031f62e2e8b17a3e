-- Failed client-certificate negotiations (outcomes cert_not_found,
-- negotiate_failed, get_cert_failed: what --fail-on failure alerts on) per
-- 5-minute period, host and HRESULT, most failures first within a period.
-- The period is the request's UTC time, or when the row arrived for
-- captures without a date. Change the interval to taste.
SELECT
    toStartOfInterval(coalesce(ts, received_at), INTERVAL 5 MINUTE) AS period,
    host,
    hresult,
    any(hresult_name) AS hresult_name,
    count() AS failures,
    groupUniqArray(5)(uri) AS some_uris
FROM certtrace.records
WHERE type = 'request'
  AND outcome IN ('cert_not_found', 'negotiate_failed', 'get_cert_failed')
GROUP BY period, host, hresult
ORDER BY period, host, failures DESC, hresult
