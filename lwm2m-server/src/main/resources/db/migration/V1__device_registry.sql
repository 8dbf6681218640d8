-- The device registry: what was provisioned (identity, credentials, tags, label) and the live registration facts.
CREATE TABLE devices (
    endpoint          VARCHAR(255)             NOT NULL PRIMARY KEY,
    label             VARCHAR(255),
    credentials_kind  VARCHAR(8)               NOT NULL,
    psk_identity      VARCHAR(255),
    -- The server needs the PSK itself to complete a handshake; it is never returned by the API.
    psk_key           VARBINARY(64),
    rpk_public_key    VARBINARY(1024),
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    status            VARCHAR(16)              NOT NULL,
    registration_id   VARCHAR(64),
    lwm2m_version     VARCHAR(8),
    binding           VARCHAR(16),
    queue_mode        BOOLEAN,
    lifetime_s        BIGINT,
    object_links      CLOB,
    peer_address      VARCHAR(128),
    security_mode     VARCHAR(8),
    registered_at     TIMESTAMP WITH TIME ZONE,
    last_update       TIMESTAMP WITH TIME ZONE,
    CONSTRAINT devices_psk_identity_unique UNIQUE (psk_identity)
);
CREATE INDEX devices_status ON devices (status);

CREATE TABLE device_tags (
    endpoint VARCHAR(255) NOT NULL REFERENCES devices (endpoint) ON DELETE CASCADE,
    tag      VARCHAR(64)  NOT NULL,
    PRIMARY KEY (endpoint, tag)
);
CREATE INDEX device_tags_tag ON device_tags (tag);

-- The object instances a device announced at its last registration, for "which devices support object X".
CREATE TABLE device_objects (
    endpoint       VARCHAR(255) NOT NULL REFERENCES devices (endpoint) ON DELETE CASCADE,
    object_id      INT          NOT NULL,
    instance_id    INT          NOT NULL, -- -1 when the device announced the object without an instance
    object_version VARCHAR(8),
    PRIMARY KEY (endpoint, object_id, instance_id)
);
CREATE INDEX device_objects_object ON device_objects (object_id);
