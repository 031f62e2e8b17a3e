-- Hosts whose worker processes recycled, whose module lost trace lines
-- (gaps in the request counter: requests certtrace could not see) or whose
-- capture lost events (live ETW capture reports them as problem records of
-- kind events_lost). Hosts with none of these are left out.
SELECT
    host,
    countIf(type = 'recycle') AS recycle_count,
    countIf(type = 'gap') AS gap_count,
    sumIf(missing, type = 'gap') AS requests_lost,
    sumIf(read_races, type = 'instance') AS read_race_count,
    countIf(type = 'problem' AND kind = 'events_lost') AS events_lost_reports,
    max(if(type IN ('recycle', 'gap', 'problem'), coalesce(ts, received_at), NULL)) AS last_seen
FROM certtrace.records
WHERE type IN ('recycle', 'gap', 'instance', 'problem')
GROUP BY host
HAVING recycle_count > 0 OR gap_count > 0 OR events_lost_reports > 0
ORDER BY requests_lost DESC, recycle_count DESC, host
