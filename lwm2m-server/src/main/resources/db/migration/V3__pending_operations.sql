-- ops room: operations waiting for a sleeping (queue-mode) device.
CREATE TABLE pending_operations (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    endpoint      VARCHAR(255)             NOT NULL,
    operation     VARCHAR(32)              NOT NULL,
    path          VARCHAR(255),
    body          CLOB,
    format        VARCHAR(16),
    status        VARCHAR(16)              NOT NULL, -- pending, sent, succeeded, failed, cancelled
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    completed_at  TIMESTAMP WITH TIME ZONE,
    result        CLOB,
    failure       VARCHAR(1024)
);
CREATE INDEX pending_operations_endpoint ON pending_operations (endpoint, status, id);
CREATE INDEX pending_operations_expiry ON pending_operations (status, expires_at);
