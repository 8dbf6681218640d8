-- firmware room: campaigns that update many devices to one image, and each device's place in them.
CREATE TABLE campaigns (
    id                 BIGINT AUTO_INCREMENT PRIMARY KEY,
    name               VARCHAR(255)             NOT NULL,
    image_id           BIGINT                   NOT NULL REFERENCES firmware_images (id),
    status             VARCHAR(16)              NOT NULL, -- running, paused, cancelled, finished
    concurrency        INT                      NOT NULL,
    stages             VARCHAR(255)             NOT NULL, -- cumulative percentages, e.g. 1,10,100
    current_stage      INT                      NOT NULL,
    success_threshold  DOUBLE                   NOT NULL, -- a stage opens the next only above this ratio
    failure_threshold  DOUBLE                   NOT NULL, -- the campaign pauses itself above this ratio
    max_attempts       INT                      NOT NULL,
    retry_backoff_ms   BIGINT                   NOT NULL,
    paused_reason      VARCHAR(1024),
    created_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at        TIMESTAMP WITH TIME ZONE
);

CREATE TABLE campaign_devices (
    campaign_id      BIGINT                   NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    endpoint         VARCHAR(255)             NOT NULL,
    position         INT                      NOT NULL,
    stage            INT                      NOT NULL,
    status           VARCHAR(16)              NOT NULL, -- pending, updating, succeeded, failed, cancelled
    attempts         INT                      NOT NULL,
    update_id        BIGINT,
    last_failure     VARCHAR(1024),
    next_attempt_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (campaign_id, endpoint)
);
CREATE INDEX campaign_devices_status ON campaign_devices (campaign_id, status, stage, position);
CREATE INDEX campaign_devices_update ON campaign_devices (update_id);
