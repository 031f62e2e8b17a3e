-- certtrace records in ClickHouse: one table for every record type, one row
-- per NDJSON line (docs/json-schema.md), inserted as JSONEachRow with
-- input_format_skip_unknown_fields = 1 (fields of later schema versions are
-- skipped until a column is added for them). Columns are named after the
-- record fields, and a field a record type does not have is NULL (or empty).
-- See docs/fleet.md for the shippers in front of it and the queries in
-- docs/fleet/queries/.

CREATE DATABASE IF NOT EXISTS certtrace;

CREATE TABLE IF NOT EXISTS certtrace.records
(
    -- Every record.
    type LowCardinality(String),
    schema_version UInt16,
    -- The record's own host (request, instance, every record from schema 2),
    -- else the one the shipper adds, else the host part of "HOST/pid#n".
    host LowCardinality(String) DEFAULT
        if(ifNull(instance, '') LIKE '%/%', splitByChar('/', assumeNotNull(instance))[1], ''),
    instance Nullable(String),
    pid Nullable(UInt32),
    tid Nullable(UInt32),
    time Nullable(String),
    time_kind LowCardinality(Nullable(String)),
    -- RFC 3339 UTC time where the date is known (schema 2).
    timestamp Nullable(String),
    source Nullable(String),
    -- When the row arrived: what "over time" falls back to for captures
    -- whose records carry no date (DebugView elapsed or time-of-day times).
    received_at DateTime64(3, 'UTC') DEFAULT now64(3),
    -- The record's UTC time when it has one (RFC 3339 times end with Z).
    ts Nullable(DateTime64(6, 'UTC')) MATERIALIZED coalesce(
        parseDateTime64BestEffortOrNull(timestamp, 6, 'UTC'),
        if(endsWith(ifNull(time, ''), 'Z'), parseDateTime64BestEffortOrNull(time, 6, 'UTC'), NULL)),

    -- request
    cnt Nullable(UInt64),
    uri Nullable(String),
    end_time Nullable(String),
    outcome LowCardinality(Nullable(String)),
    hresult LowCardinality(Nullable(String)),
    hresult_name LowCardinality(Nullable(String)),
    hresult_hint Nullable(String),
    cert_size Nullable(UInt32),
    cert_crc Nullable(UInt32),
    previously_negotiated Nullable(Bool),
    fcc_neg Nullable(Bool),
    forced_negotiation Nullable(Bool),
    assignment LowCardinality(Nullable(String)),
    duplicate_cnt Nullable(Bool),
    messages Nullable(UInt32),
    -- request: the identified certificate, certificate: the catalog entry
    -- (JSON text, read with JSONExtractString(cert, 'subject')).
    cert Nullable(String),
    cert_status LowCardinality(Nullable(String)),
    cert_warnings Array(String),

    -- gap
    from_cnt Nullable(UInt64),
    to_cnt Nullable(UInt64),
    missing Nullable(UInt64),
    read_race Nullable(UInt64),
    -- recycle
    reason LowCardinality(Nullable(String)),
    previous Nullable(String),
    -- orphan, unknown, module_error, problem
    message_kind LowCardinality(Nullable(String)),
    kind LowCardinality(Nullable(String)),
    text Nullable(String),
    detail Nullable(String),

    -- instance
    start LowCardinality(Nullable(String)),
    first_time Nullable(String),
    last_time Nullable(String),
    build Nullable(String),
    process Nullable(String),
    first_cnt Nullable(UInt64),
    last_cnt Nullable(UInt64),
    ended_by_recycle Nullable(Bool),
    crc_mode LowCardinality(Nullable(String)),
    -- certificate
    unknown Nullable(String),
    unknown_size Nullable(UInt32),
    first_seen Nullable(String),
    last_seen Nullable(String),
    pids Array(UInt32),
    -- instance, certificate and summary counters
    requests Nullable(UInt64),
    outcomes Map(String, UInt64),
    -- summary
    snapshot Nullable(Bool),
    inputs Array(String),
    events Nullable(UInt64),
    module_messages Nullable(UInt64),
    exact Nullable(UInt64),
    inferred Nullable(UInt64),
    instances Nullable(UInt64),
    processes Nullable(UInt64),
    recycles Nullable(UInt64),
    gaps Nullable(UInt64),
    missing_requests Nullable(UInt64),
    read_races Nullable(UInt64),
    duplicate_cnts Nullable(UInt64),
    orphan_messages Nullable(UInt64),
    module_errors Nullable(UInt64),
    foreign_lines Nullable(UInt64),
    input_problems Map(String, UInt64),
    hresults Array(Tuple(hresult String, name Nullable(String), hint Nullable(String), count UInt64)),
    unreadable_inputs Array(String),
    interrupted Nullable(Bool),
    unreported_requests Nullable(UInt64)
)
ENGINE = MergeTree
ORDER BY (type, host, received_at);
