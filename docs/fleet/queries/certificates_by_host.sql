-- The client certificates each host received: catalog certificates (read
-- with --certs) by thumbprint and subject, the others by size, with how many
-- requests presented them, how many were refused and when they were seen.
SELECT
    host,
    if(cert_status = 'identified', JSONExtractString(cert, 'subject'),
       concat('unknown certificate of ', toString(cert_size), ' bytes')) AS certificate,
    if(cert_status = 'identified', JSONExtractString(cert, 'thumbprint_sha1'), '') AS thumbprint_sha1,
    any(cert_size) AS der_size,
    count() AS requests,
    countIf(outcome != 'cert_ok') AS refused,
    uniqExact(instance) AS worker_processes,
    min(coalesce(ts, received_at)) AS first_seen,
    max(coalesce(ts, received_at)) AS last_seen,
    groupUniqArrayArray(cert_warnings) AS warnings
FROM certtrace.records
WHERE type = 'request' AND cert_status IS NOT NULL
GROUP BY host, certificate, thumbprint_sha1
ORDER BY host, requests DESC, certificate
