-- firmware room: what each device last said it is (model /3/0/1) and runs (firmware version /3/0/3).
CREATE TABLE device_firmware (
    endpoint  VARCHAR(255)             NOT NULL PRIMARY KEY,
    model     VARCHAR(255),
    version   VARCHAR(255),
    read_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX device_firmware_model_version ON device_firmware (model, version);

-- campaigns may run in a daily time window (UTC, minutes of the day); null: any time.
ALTER TABLE campaigns ADD COLUMN window_start_min INT;
ALTER TABLE campaigns ADD COLUMN window_end_min INT;
