-- ops room: what was asked of each device, and the observations operators asked for.
CREATE TABLE operation_log (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    endpoint      VARCHAR(255)             NOT NULL,
    operation     VARCHAR(32)              NOT NULL,
    target        VARCHAR(1024),
    requested_by  VARCHAR(255)             NOT NULL,
    requested_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    outcome       VARCHAR(64)              NOT NULL,
    detail        VARCHAR(1024),
    latency_ms    BIGINT                   NOT NULL
);
CREATE INDEX operation_log_endpoint ON operation_log (endpoint, id);

CREATE TABLE observations (
    endpoint    VARCHAR(255)             NOT NULL,
    paths       VARCHAR(1024)            NOT NULL, -- one path, or several comma-separated for a composite
    composite   BOOLEAN                  NOT NULL,
    attributes  VARCHAR(255),                      -- as a query: pmin=10&pmax=60
    format      VARCHAR(16),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (endpoint, paths)
);

-- telemetry room: every notified or sent value. Times are epoch milliseconds: bucketing is plain arithmetic.
CREATE TABLE telemetry_points (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    endpoint    VARCHAR(255)  NOT NULL,
    path        VARCHAR(64)   NOT NULL,
    ts_ms       BIGINT        NOT NULL, -- device timestamp where SenML gave one, else arrival
    num_value   DOUBLE,                 -- numbers, booleans as 0/1, times as epoch seconds
    str_value   VARCHAR(1024),          -- strings, booleans, opaque as Base64, links
    value_type  VARCHAR(16)   NOT NULL,
    source      VARCHAR(8)    NOT NULL  -- observe or send
);
CREATE INDEX telemetry_points_series ON telemetry_points (endpoint, path, ts_ms);
CREATE INDEX telemetry_points_age ON telemetry_points (ts_ms);
