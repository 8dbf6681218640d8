-- The device list sorts on the server and pages with a keyset cursor (sort key, then endpoint), and its filters
-- stay fast at 100,000 devices. Each sort has an index (sort key, endpoint) that the list scans in order.

-- Labels sort case-insensitively; statuses in the order online, sleeping, offline. Both are computed by the
-- database, so no writer can forget them.
ALTER TABLE devices ADD COLUMN label_key VARCHAR(255) GENERATED ALWAYS AS (LOWER(label));
ALTER TABLE devices ADD COLUMN status_rank TINYINT GENERATED ALWAYS AS
    (CASE status WHEN 'ONLINE' THEN 0 WHEN 'SLEEPING' THEN 1 ELSE 2 END);

CREATE INDEX devices_sort_label ON devices (label_key, endpoint);
CREATE INDEX devices_sort_status ON devices (status_rank, endpoint);
CREATE INDEX devices_sort_last_update ON devices (last_update, endpoint);
CREATE INDEX devices_sort_created_at ON devices (created_at, endpoint);

-- Filters: (value, endpoint), so a filter's devices come out in endpoint order and a cursor is a range.
DROP INDEX devices_status;
CREATE INDEX devices_status ON devices (status, endpoint);
DROP INDEX device_tags_tag;
CREATE INDEX device_tags_tag ON device_tags (tag, endpoint);
DROP INDEX device_objects_object;
CREATE INDEX device_objects_object ON device_objects (object_id, endpoint);

-- "Endpoint or label contains": the lower-cased text of both cut into the (up to) three characters that start at
-- each position. A device contains "abcd" only if it has the grams "abc" and "bcd", so the rarest gram of the
-- search names at most that many devices to check; one or two characters are a prefix range of the grams.
-- Written by DeviceRepository with the device (see searchGrams); removed with it.
CREATE TABLE device_search (
    gram     VARCHAR(3)   NOT NULL,
    endpoint VARCHAR(255) NOT NULL
);

-- The grams of the devices already registered, each (gram, endpoint) once: a gram counts where it first occurs in
-- its text, and a label's gram only when the endpoint lacks it (a shorter tail that occurs earlier is covered by the
-- longer gram there, for prefix searches). Filled before the keys exist, which is much faster for many devices.
INSERT INTO device_search (gram, endpoint)
SELECT g.gram, g.endpoint
FROM (SELECT SUBSTRING(s.t, x.X, 3) AS gram, s.endpoint, s.t, x.X AS pos, s.other
      FROM (SELECT endpoint, LOWER(endpoint) AS t, CAST(NULL AS VARCHAR) AS other FROM devices
            UNION ALL
            SELECT endpoint, LOWER(label), LOWER(endpoint) FROM devices WHERE label IS NOT NULL AND label <> '') s
      JOIN SYSTEM_RANGE(1, (SELECT COALESCE(MAX(GREATEST(CHAR_LENGTH(endpoint), COALESCE(CHAR_LENGTH(label), 0))), 1)
                            FROM devices)) x ON x.X <= CHAR_LENGTH(s.t)) g
WHERE LOCATE(g.gram, g.t) = g.pos AND (g.other IS NULL OR LOCATE(g.gram, g.other) = 0);

ALTER TABLE device_search ADD CONSTRAINT device_search_pk PRIMARY KEY (gram, endpoint);
-- (the foreign key brings its own index on endpoint, for deletes)
ALTER TABLE device_search ADD CONSTRAINT device_search_device FOREIGN KEY (endpoint) REFERENCES devices (endpoint)
    ON DELETE CASCADE;
