-- rules room: alerts raised by rules, and who asked for a queued operation (a person, a token or a rule).
CREATE TABLE alerts (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    rule_id          BIGINT REFERENCES rules (id) ON DELETE SET NULL,
    rule_name        VARCHAR(200)             NOT NULL,
    endpoint         VARCHAR(255)             NOT NULL,
    severity         VARCHAR(16)              NOT NULL,
    message          VARCHAR(1024)            NOT NULL,
    val              VARCHAR(255),
    raised_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    cleared_at       TIMESTAMP WITH TIME ZONE,
    acknowledged_at  TIMESTAMP WITH TIME ZONE,
    acknowledged_by  VARCHAR(255)
);
CREATE INDEX alerts_open ON alerts (cleared_at, id);
CREATE INDEX alerts_rule_endpoint ON alerts (rule_id, endpoint, cleared_at);

ALTER TABLE pending_operations ADD COLUMN requested_by VARCHAR(255);
