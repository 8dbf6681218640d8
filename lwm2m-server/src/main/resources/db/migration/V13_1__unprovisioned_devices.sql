-- device room: a device that registered without being provisioned (plain CoAP with --allow-unknown-coap or --demo)
-- is marked, so that it can be removed when it stays offline (--unknown-device-expiry); provisioning its
-- credentials over REST claims it (the mark goes).
-- (Version 13.1, not 13: parallel branches may add a V13; Flyway orders 13 before 13.1.)
ALTER TABLE devices ADD COLUMN unprovisioned BOOLEAN DEFAULT FALSE NOT NULL;
