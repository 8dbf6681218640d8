-- firmware room: images, and the update of each device with its history.
CREATE TABLE firmware_images (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    name         VARCHAR(255)             NOT NULL,
    version      VARCHAR(64)              NOT NULL,
    models       VARCHAR(1024),           -- device model numbers it fits, comma-separated; null: any
    size_bytes   BIGINT                   NOT NULL,
    sha256       VARCHAR(64)              NOT NULL,
    file_name    VARCHAR(255)             NOT NULL,
    uploaded_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    uploaded_by  VARCHAR(255)             NOT NULL,
    CONSTRAINT firmware_images_name_version UNIQUE (name, version)
);

CREATE TABLE firmware_updates (
    id             BIGINT AUTO_INCREMENT PRIMARY KEY,
    endpoint       VARCHAR(255)             NOT NULL,
    image_id       BIGINT                   NOT NULL REFERENCES firmware_images (id),
    status         VARCHAR(16)              NOT NULL, -- pending, downloading, downloaded, updating, succeeded, failed
    token          VARCHAR(64)              NOT NULL,
    update_result  INT,
    failure        VARCHAR(1024),
    started_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    changed_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT firmware_updates_token UNIQUE (token)
);
CREATE INDEX firmware_updates_endpoint ON firmware_updates (endpoint, id);

CREATE TABLE firmware_update_events (
    update_id  BIGINT                   NOT NULL REFERENCES firmware_updates (id) ON DELETE CASCADE,
    at         TIMESTAMP WITH TIME ZONE NOT NULL,
    status     VARCHAR(16)              NOT NULL,
    detail     VARCHAR(1024)
);
CREATE INDEX firmware_update_events_update ON firmware_update_events (update_id, at);
