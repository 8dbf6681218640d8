-- lwm2m room: Leshan's registrations and observations, kept across restarts (PersistentRegistrationStore).
-- body is the JSON of RegistrationJson; last_update and lifetime_s are apart from it because updates refresh
-- them in batches, off the CoAP threads.
CREATE TABLE lwm2m_registrations (
    registration_id VARCHAR(64)              PRIMARY KEY,
    endpoint        VARCHAR(255)             NOT NULL,
    last_update     TIMESTAMP WITH TIME ZONE NOT NULL,
    lifetime_s      BIGINT                   NOT NULL,
    body            TEXT                     NOT NULL
);
CREATE UNIQUE INDEX lwm2m_registrations_endpoint ON lwm2m_registrations (endpoint);

-- An observation is found by the server endpoint it was sent from and its CoAP token, as Californium looks it up
-- when a notification arrives.
CREATE TABLE lwm2m_observations (
    endpoint_uri    VARCHAR(255) NOT NULL,
    token           VARCHAR(64)  NOT NULL,
    registration_id VARCHAR(64)  NOT NULL REFERENCES lwm2m_registrations (registration_id) ON DELETE CASCADE,
    body            TEXT         NOT NULL,
    PRIMARY KEY (endpoint_uri, token)
);
CREATE INDEX lwm2m_observations_registration ON lwm2m_observations (registration_id);
