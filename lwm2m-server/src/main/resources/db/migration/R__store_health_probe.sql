-- store room: one row that GET /health updates to learn whether the database still stores writes (a read alone
-- succeeds on a full disk). Repeatable (no version number) and idempotent, so that it never collides with the
-- numbered migrations of other rooms.
CREATE TABLE IF NOT EXISTS store_health_probe (
    id        INT PRIMARY KEY,
    probed_at TIMESTAMP WITH TIME ZONE NOT NULL
);
INSERT INTO store_health_probe (id, probed_at)
SELECT 1, CURRENT_TIMESTAMP WHERE NOT EXISTS (SELECT 1 FROM store_health_probe WHERE id = 1);
