package org.lwm2mfleet.server.device;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.lwm2mfleet.server.device.DeviceRegistration.AnnouncedObject;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.store.Dialect;
import org.lwm2mfleet.server.store.Jdbc;

/**
 * The SQL of the device room: tables devices, device_tags, device_objects and (H2 only) device_search. On
 * PostgreSQL, "contains" is answered by pg_trgm's GIN indexes on the same expressions the filter uses, and the
 * planner needs no index hints.
 */
final class DeviceRepository {

    private static final String COLUMNS = "endpoint, label, credentials_kind, psk_identity, psk_key, rpk_public_key,"
            + " x509_certificate, created_at, status, registration_id, lwm2m_version, binding, queue_mode, lifetime_s, object_links,"
            + " peer_address, security_mode, registered_at, last_update";

    private final Jdbc jdbc;
    /** Whether "contains" uses H2's gram table (else PostgreSQL's pg_trgm indexes on the devices themselves). */
    private final boolean gramTable;
    private volatile String primaryKeyIndex;

    DeviceRepository(Jdbc jdbc) {
        this.jdbc = jdbc;
        this.gramTable = jdbc.dialect() == Dialect.H2;
    }

    Jdbc jdbc() {
        return jdbc;
    }

    void insert(NewDevice device, Instant now) {
        StoredCredentials stored = StoredCredentials.of(device.credentials());
        jdbc.update("INSERT INTO devices (endpoint, label, credentials_kind, psk_identity, psk_key, rpk_public_key,"
                + " x509_certificate, created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", device.endpoint(),
                device.label(), stored.kind, stored.pskIdentity, stored.pskKey, stored.rpkPublicKey,
                stored.x509Certificate, now, DeviceStatus.OFFLINE.name());
        for (String tag : device.tags()) {
            jdbc.update("INSERT INTO device_tags (endpoint, tag) VALUES (?, ?)", device.endpoint(), tag);
        }
        insertSearchGrams(device.endpoint(), device.label());
    }

    /** Creates the row of a device that registered without being provisioned (plain CoAP, when allowed). */
    boolean insertIfAbsent(String endpoint, Instant now) {
        boolean inserted = jdbc.update("INSERT INTO devices (endpoint, credentials_kind, created_at, status,"
                + " unprovisioned) SELECT ?, 'none', ?, ?, TRUE WHERE NOT EXISTS (SELECT 1 FROM devices WHERE endpoint = ?)", endpoint, now,
                DeviceStatus.OFFLINE.name(), endpoint) == 1;
        if (inserted) {
            insertSearchGrams(endpoint, null);
        }
        return inserted;
    }

    boolean updateCredentials(String endpoint, Credentials credentials) {
        StoredCredentials stored = StoredCredentials.of(credentials);
        return jdbc.update("UPDATE devices SET credentials_kind = ?, psk_identity = ?, psk_key = ?, rpk_public_key = ?,"
                + " x509_certificate = ?, unprovisioned = FALSE WHERE endpoint = ?", stored.kind, stored.pskIdentity, stored.pskKey,
                stored.rpkPublicKey, stored.x509Certificate, endpoint) == 1;
    }

    List<String> allEndpoints() {
        return jdbc.query("SELECT endpoint FROM devices", row -> row.getString("endpoint"));
    }

    void markUnprovisioned(List<String> endpoints) {
        jdbc.batch("UPDATE devices SET unprovisioned = TRUE WHERE endpoint = ?",
                endpoints.stream().map(e -> new Object[] { e }).toList());
    }

    /** Devices that registered unprovisioned, are offline, and were last heard of before {@code cutoff}. */
    List<String> staleUnprovisioned(Instant cutoff, int limit) {
        return jdbc.query("SELECT endpoint FROM devices WHERE unprovisioned AND status = ?"
                + " AND COALESCE(last_update, registered_at, created_at) < ? ORDER BY endpoint FETCH FIRST " + limit
                + " ROWS ONLY", row -> row.getString("endpoint"), DeviceStatus.OFFLINE.name(), cutoff);
    }

    /** Deletes the device if it is still what {@link #staleUnprovisioned} found: it may have come back meanwhile. */
    boolean deleteIfStaleUnprovisioned(String endpoint, Instant cutoff) {
        return jdbc.update("DELETE FROM devices WHERE endpoint = ? AND unprovisioned AND status = ?"
                + " AND COALESCE(last_update, registered_at, created_at) < ?", endpoint, DeviceStatus.OFFLINE.name(),
                cutoff) == 1;
    }

    boolean delete(String endpoint) {
        return jdbc.update("DELETE FROM devices WHERE endpoint = ?", endpoint) == 1;
    }

    boolean exists(String endpoint) {
        return jdbc.queryOne("SELECT 1 FROM devices WHERE endpoint = ?", row -> true, endpoint).isPresent();
    }

    boolean pskIdentityTaken(String identity, String exceptEndpoint) {
        return jdbc.queryOne("SELECT 1 FROM devices WHERE psk_identity = ? AND endpoint <> ?", row -> true, identity,
                exceptEndpoint).isPresent();
    }

    Optional<Device> find(String endpoint) {
        Optional<Device> device = jdbc.queryOne("SELECT " + COLUMNS + " FROM devices WHERE endpoint = ?",
                row -> map(row, List.of(), objectsOf(endpoint)), endpoint);
        return device.map(d -> withTags(d, tagsOf(List.of(endpoint)).getOrDefault(endpoint, List.of())));
    }

    DevicePage list(DeviceQuery query) {
        DeviceSort sort = query.sort();
        DeviceCursor cursor = query.cursor() == null ? null : DeviceCursor.decode(query.cursor(), sort);
        Driver driver = driver(query);
        if (driver == Driver.NOTHING) {
            return new DevicePage(List.of(), null);
        }
        // One more than asked tells whether there is a next page.
        int wanted = query.limit() + 1;
        List<Row> rows = new ArrayList<>();
        boolean inNulls = cursor != null && sort.key().nullable && cursor.key() == null;
        if (!inNulls) {
            rows.addAll(segment(query, driver, cursor, false, wanted));
        }
        if (sort.key().nullable && rows.size() < wanted) {
            rows.addAll(segment(query, driver, inNulls ? cursor : null, true, wanted - rows.size()));
        }
        boolean more = rows.size() > query.limit();
        List<Row> page = more ? rows.subList(0, query.limit()) : rows;
        Map<String, List<String>> tags = tagsOf(page.stream().map(r -> r.device().endpoint()).toList());
        List<Device> items = page.stream()
                .map(r -> withTags(r.device(), tags.getOrDefault(r.device().endpoint(), List.of()))).toList();
        Row last = more ? page.get(page.size() - 1) : null;
        return new DevicePage(items, last == null ? null
                : new DeviceCursor(sort, last.key(), last.device().endpoint()).encode());
    }

    /** A device of a page with the value it was sorted by. */
    private record Row(Device device, Object key) {
    }

    /**
     * Which filter drives the query. Scanning the sort's index and filtering finds a page quickly when many devices
     * match; when few do (a rare tag, a search for a serial number), it is faster to take those few by the filter's
     * index and sort them. Each filter's matches are counted up to {@link #DRIVER_LIMIT} to decide.
     */
    private record Driver(Filter filter, Object value, boolean prefix) {
        static final Driver NOTHING = new Driver(null, null, false);
        static final Driver SCAN = new Driver(null, null, false);

        /** A prefix is a range (a LIKE with a parameter would not use the index). */
        List<Object> params() {
            return prefix ? List.of(value, value + "\uffff") : List.of(value);
        }
    }

    /** Grams that start with one or two characters. */
    private static final String PREFIX = "gram >= ? AND gram < ?";

    private enum Filter {
        STATUS, TAG, OBJECT, TEXT
    }

    /** Above this many matches a filter does not drive: at least 1 device in 200 matches, so the scan is short. */
    static final int DRIVER_LIMIT = 500;

    private Driver driver(DeviceQuery query) {
        Driver best = Driver.SCAN;
        long fewest = DRIVER_LIMIT + 1L;
        List<Driver> candidates = new ArrayList<>();
        if (query.status() != null) {
            candidates.add(new Driver(Filter.STATUS, query.status().name(), false));
        }
        if (query.tag() != null) {
            candidates.add(new Driver(Filter.TAG, query.tag(), false));
        }
        if (query.objectId() != null) {
            candidates.add(new Driver(Filter.OBJECT, query.objectId(), false));
        }
        if (query.text() != null) {
            String text = query.text().toLowerCase(Locale.ROOT);
            if (!gramTable) {
                // The condition itself, counted through the trigram indexes.
                candidates.add(new Driver(Filter.TEXT, containsPattern(query.text()), false));
            } else if (text.length() < 3) {
                candidates.add(new Driver(Filter.TEXT, text, true));
            } else {
                // Every three characters of the search are a gram of a matching device; a few spread over it suffice.
                int windows = text.length() - 2;
                int probes = Math.min(windows, 4);
                Set<String> grams = new LinkedHashSet<>();
                for (int i = 0; i < probes; i++) {
                    int at = probes == 1 ? 0 : i * (windows - 1) / (probes - 1);
                    grams.add(text.substring(at, at + 3));
                }
                grams.forEach(gram -> candidates.add(new Driver(Filter.TEXT, gram, false)));
            }
        }
        for (Driver candidate : candidates) {
            long count = count(candidate);
            if (count == 0) {
                return Driver.NOTHING;
            }
            if (count < fewest) {
                fewest = count;
                best = candidate;
            }
        }
        return best;
    }

    private long count(Driver driver) {
        String sql = switch (driver.filter()) {
        case STATUS -> "SELECT 1 FROM devices WHERE status = ?";
        case TAG -> "SELECT 1 FROM device_tags WHERE tag = ?";
        case OBJECT -> "SELECT 1 FROM device_objects WHERE object_id = ?";
        case TEXT -> gramTable ? "SELECT 1 FROM device_search WHERE " + (driver.prefix() ? PREFIX : "gram = ?")
                : "SELECT 1 FROM devices d WHERE " + CONTAINS;
        };
        List<Object> params = new ArrayList<>(driver.params());
        if (driver.filter() == Filter.TEXT && !gramTable) {
            params.add(driver.value());
        }
        params.add(DRIVER_LIMIT + 1);
        return jdbc.queryOne("SELECT COUNT(*) FROM (" + sql + " LIMIT ?) matches", row -> row.getLong(1),
                params.toArray()).orElse(0L);
    }

    /**
     * One stretch of the order: the devices with a value for the sort key, or (nullable keys) those without, which
     * come last in both directions, ordered by endpoint.
     */
    private List<Row> segment(DeviceQuery query, Driver driver, DeviceCursor cursor, boolean nulls, int limit) {
        DeviceSort sort = query.sort();
        DeviceSort.Key key = sort.key();
        String after = sort.descending() ? "<" : ">";
        String column = "d." + key.column;
        // The keyset: after the cursor's key, or on the same key after its endpoint.
        boolean byEndpointOnly = key == DeviceSort.Key.ENDPOINT || nulls;
        String afterEndpoint = cursor != null && byEndpointOnly ? cursor.endpoint() : null;

        String hint = "";
        if (jdbc.dialect() == Dialect.H2) {
            hint = jdbc.dialect().useIndex(driver == Driver.SCAN ? (key.index != null ? key.index : primaryKeyIndex())
                    : driver.filter() == Filter.STATUS ? "devices_status" : primaryKeyIndex());
        }
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + ", label_key, status_rank FROM devices d" + hint
                + " WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        boolean pushed = false;
        if (query.status() != null) {
            sql.append(" AND d.status = ?");
            params.add(query.status().name());
        }
        if (query.tag() != null) {
            pushed |= sideTableFilter(sql, params, "device_tags t", "t.tag", query.tag(),
                    driver.filter() == Filter.TAG, after, afterEndpoint);
        }
        if (query.objectId() != null) {
            pushed |= sideTableFilter(sql, params, "device_objects o", "o.object_id", query.objectId(),
                    driver.filter() == Filter.OBJECT, after, afterEndpoint);
        }
        if (query.text() != null) {
            if (driver.filter() == Filter.TEXT && gramTable) {
                sql.append(" AND d.endpoint IN (SELECT s.endpoint FROM device_search s WHERE s."
                        + (driver.prefix() ? PREFIX.replace("AND gram", "AND s.gram") : "gram = ?"));
                params.addAll(driver.params());
                pushed = pushEndpoint(sql, params, "s", after, afterEndpoint);
                sql.append(')');
            }
            // The grams only narrow the search; the text itself decides.
            String pattern = containsPattern(query.text());
            sql.append(" AND (" + CONTAINS + ")");
            params.add(pattern);
            params.add(pattern);
        }
        if (key.nullable) {
            sql.append(nulls ? " AND " + column + " IS NULL" : " AND " + column + " IS NOT NULL");
        }
        if (cursor != null && !pushed) {
            if (byEndpointOnly) {
                sql.append(" AND d.endpoint ").append(after).append(" ?");
                params.add(cursor.endpoint());
            } else {
                // Written so that the index on (key, endpoint) starts at the cursor's key.
                sql.append(" AND ").append(column).append(after).append("= ? AND (").append(column).append(after)
                        .append(" ? OR d.endpoint ").append(after).append(" ?)");
                params.add(cursor.key());
                params.add(cursor.key());
                params.add(cursor.endpoint());
            }
        }
        String direction = sort.descending() ? " DESC" : "";
        sql.append(" ORDER BY ");
        if (key != DeviceSort.Key.ENDPOINT) {
            sql.append(column).append(direction).append(", ");
        }
        sql.append("d.endpoint").append(direction).append(" LIMIT ?");
        params.add(limit);
        return jdbc.query(sql.toString(), row -> new Row(map(row, List.of(), List.of()), sortKey(row, key)),
                params.toArray());
    }

    /**
     * A filter on a table beside devices, given with its alias ("device_tags t"): when it drives, the devices come from its
     * index, with the cursor pushed into that range; otherwise each device is checked against it.
     *
     * @return whether the cursor was pushed
     */
    private static boolean sideTableFilter(StringBuilder sql, List<Object> params, String tableAndAlias,
            String column, Object value, boolean drives, String after, String afterEndpoint) {
        String alias = tableAndAlias.substring(tableAndAlias.indexOf(' ') + 1);
        params.add(value);
        if (!drives) {
            sql.append(" AND EXISTS (SELECT 1 FROM ").append(tableAndAlias).append(" WHERE ").append(alias)
                    .append(".endpoint = d.endpoint AND ").append(column).append(" = ?)");
            return false;
        }
        sql.append(" AND d.endpoint IN (SELECT ").append(alias).append(".endpoint FROM ").append(tableAndAlias)
                .append(" WHERE ").append(column).append(" = ?");
        boolean pushed = pushEndpoint(sql, params, alias, after, afterEndpoint);
        sql.append(')');
        return pushed;
    }

    /** In a driving sub-query, the cursor's endpoint narrows the filter's own index range. */
    private static boolean pushEndpoint(StringBuilder sql, List<Object> params, String alias, String after,
            String afterEndpoint) {
        if (afterEndpoint == null) {
            return false;
        }
        sql.append(" AND ").append(alias).append(".endpoint ").append(after).append(" ?");
        params.add(afterEndpoint);
        return true;
    }

    private static Object sortKey(ResultSet row, DeviceSort.Key key) throws SQLException {
        return switch (key) {
        case ENDPOINT -> null;
        case LABEL -> row.getString("label_key");
        case STATUS -> row.getInt("status_rank");
        case LAST_UPDATE -> Jdbc.instant(row, "last_update");
        case CREATED_AT -> Jdbc.instant(row, "created_at");
        };
    }

    /** The name H2 gave the primary key's index, for {@code USE INDEX}. */
    private String primaryKeyIndex() {
        String name = primaryKeyIndex;
        if (name == null) {
            name = jdbc.queryOne("SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_SCHEMA = SCHEMA()"
                    + " AND TABLE_NAME = 'DEVICES' AND INDEX_TYPE_NAME = 'PRIMARY KEY'", row -> row.getString(1))
                    .orElseThrow(() -> new IllegalStateException("table devices has no primary key"));
            primaryKeyIndex = '"' + name + '"';
            name = primaryKeyIndex;
        }
        return name;
    }

    // ---- search grams ----------------------------------------------------------------------------------------------

    /**
     * Writes the search grams of a new device. Nothing changes a label after that yet; whatever does must replace the
     * device's grams too (delete them, insert again), or "contains" will miss the new label.
     */
    private void insertSearchGrams(String endpoint, String label) {
        if (!gramTable) {
            return;
        }
        Set<String> grams = searchGrams(endpoint, label);
        StringBuilder sql = new StringBuilder("INSERT INTO device_search (gram, endpoint) VALUES ");
        List<Object> params = new ArrayList<>();
        for (String gram : grams) {
            sql.append(params.isEmpty() ? "(?, ?)" : ", (?, ?)");
            params.add(gram);
            params.add(endpoint);
        }
        jdbc.update(sql.toString(), params.toArray());
    }

    /**
     * The lower-cased texts cut into the (up to) three characters starting at each position, as in
     * {@code V10__device_list_indexes.sql}.
     */
    static Set<String> searchGrams(String... texts) {
        Set<String> grams = new LinkedHashSet<>();
        for (String text : texts) {
            if (text == null) {
                continue;
            }
            String lower = text.toLowerCase(Locale.ROOT);
            for (int i = 0; i < lower.length(); i++) {
                grams.add(lower.substring(i, Math.min(lower.length(), i + 3)));
            }
        }
        return grams;
    }

    Map<String, Credentials> allCredentials() {
        Map<String, Credentials> all = new HashMap<>();
        jdbc.query("SELECT endpoint, credentials_kind, psk_identity, psk_key, rpk_public_key, x509_certificate"
                + " FROM devices", row -> {
            all.put(row.getString("endpoint"), credentials(row));
            return null;
        });
        return all;
    }

    /**
     * The registration facts of many devices in one statement batch (inside the caller's transaction); their
     * objects go with {@link #replaceObjects}.
     *
     * @return per registration, whether its device row was there to update
     */
    boolean[] recordRegistrations(List<Map.Entry<String, DeviceRegistration>> registrations) {
        List<Object[]> rows = new ArrayList<>(registrations.size());
        for (Map.Entry<String, DeviceRegistration> entry : registrations) {
            DeviceRegistration registration = entry.getValue();
            rows.add(new Object[] { DeviceStatus.ONLINE.name(), registration.registrationId(),
                    registration.lwm2mVersion(), registration.binding(), registration.queueMode(),
                    registration.lifetime().toSeconds(), registration.objectLinks(), registration.peerAddress(),
                    registration.securityMode(), registration.registeredAt(), registration.lastUpdate(),
                    entry.getKey() });
        }
        int[] counts = jdbc.batch("UPDATE devices SET status = ?, registration_id = ?, lwm2m_version = ?, binding = ?,"
                + " queue_mode = ?, lifetime_s = ?, object_links = ?, peer_address = ?, security_mode = ?,"
                + " registered_at = ?, last_update = ? WHERE endpoint = ?", rows);
        boolean[] found = new boolean[counts.length];
        for (int i = 0; i < counts.length; i++) {
            found[i] = counts[i] != 0;
        }
        return found;
    }

    /** The object links each device last registered with; a device that never registered is absent. */
    Map<String, String> objectLinks(Collection<String> endpoints) {
        if (endpoints.isEmpty()) {
            return Map.of();
        }
        String placeholders = String.join(", ", Collections.nCopies(endpoints.size(), "?"));
        Map<String, String> links = new HashMap<>();
        jdbc.query("SELECT endpoint, object_links FROM devices WHERE endpoint IN (" + placeholders + ")"
                + " AND object_links IS NOT NULL", row -> links.put(row.getString("endpoint"),
                        row.getString("object_links")), endpoints.toArray());
        return links;
    }

    /**
     * The announced objects of many devices, replacing what they announced before, in two statement batches.
     *
     * @param announcedBefore the devices that may have objects to replace (the others never registered)
     */
    void replaceObjects(Map<String, List<AnnouncedObject>> objectsChanged, Set<String> announcedBefore) {
        jdbc.batch("DELETE FROM device_objects WHERE endpoint = ?", objectsChanged.keySet().stream()
                .filter(announcedBefore::contains).map(endpoint -> new Object[] { endpoint }).toList());
        List<Object[]> objects = new ArrayList<>();
        objectsChanged.forEach((endpoint, announced) -> announced.forEach(object -> objects.add(new Object[] {
                endpoint, object.objectId(), object.instanceId() == null ? -1 : object.instanceId(),
                object.version() })));
        jdbc.batch("INSERT INTO device_objects (endpoint, object_id, instance_id, object_version) VALUES (?, ?, ?, ?)",
                objects);
    }

    /**
     * Sets the statuses of many devices in one batch, each only if the device is still on the given registration (a
     * newer one must not be undone).
     *
     * @param statusEndpointRegistration per device: status name, endpoint, registration id
     */
    void recordStatuses(List<Object[]> statusEndpointRegistration) {
        jdbc.batch("UPDATE devices SET status = ? WHERE endpoint = ? AND registration_id = ?",
                statusEndpointRegistration);
    }

    /** At start, before the kept registrations are restored (see DeviceService#markAllOffline). */
    int markAllOffline() {
        return jdbc.update("UPDATE devices SET status = ? WHERE status <> ?", DeviceStatus.OFFLINE.name(),
                DeviceStatus.OFFLINE.name());
    }

    Map<DeviceStatus, Long> countByStatus() {
        Map<DeviceStatus, Long> counts = new LinkedHashMap<>();
        for (DeviceStatus status : DeviceStatus.values()) {
            counts.put(status, 0L);
        }
        jdbc.query("SELECT status, COUNT(*) AS n FROM devices GROUP BY status", row -> {
            counts.put(DeviceStatus.valueOf(row.getString("status")), row.getLong("n"));
            return null;
        });
        return counts;
    }

    /**
     * Adds and removes tags on each device that exists, in one transaction; the devices that do not exist are
     * returned. More than {@code maxTags} tags on a device fails it all.
     */
    List<String> retag(List<String> endpoints, List<String> add, List<String> remove, int maxTags) {
        return jdbc.inTransaction(() -> {
            List<String> missing = new ArrayList<>();
            for (String endpoint : endpoints) {
                if (jdbc.queryOne("SELECT 1 FROM devices WHERE endpoint = ?", row -> true, endpoint).isEmpty()) {
                    missing.add(endpoint);
                    continue;
                }
                for (String tag : remove) {
                    jdbc.update("DELETE FROM device_tags WHERE endpoint = ? AND tag = ?", endpoint, tag);
                }
                for (String tag : add) {
                    jdbc.update("INSERT INTO device_tags (endpoint, tag) SELECT ?, ? WHERE NOT EXISTS"
                            + " (SELECT 1 FROM device_tags WHERE endpoint = ? AND tag = ?)", endpoint, tag, endpoint, tag);
                }
                long tags = jdbc.queryOne("SELECT COUNT(*) AS n FROM device_tags WHERE endpoint = ?",
                        row -> row.getLong("n"), endpoint).orElse(0L);
                if (tags > maxTags) {
                    throw FleetException.invalid("add", endpoint + " would have " + tags + " tags, at most " + maxTags);
                }
            }
            return missing;
        });
    }

    private Map<String, List<String>> tagsOf(List<String> endpoints) {
        if (endpoints.isEmpty()) {
            return Map.of();
        }
        String placeholders = String.join(", ", Collections.nCopies(endpoints.size(), "?"));
        Map<String, List<String>> tags = new HashMap<>();
        jdbc.query("SELECT endpoint, tag FROM device_tags WHERE endpoint IN (" + placeholders + ") ORDER BY tag",
                row -> tags.computeIfAbsent(row.getString("endpoint"), e -> new ArrayList<>()).add(row.getString("tag")),
                endpoints.toArray());
        return tags;
    }

    private List<AnnouncedObject> objectsOf(String endpoint) {
        return jdbc.query("SELECT object_id, instance_id, object_version FROM device_objects WHERE endpoint = ?"
                + " ORDER BY object_id, instance_id", row -> {
                    int instance = row.getInt("instance_id");
                    return new AnnouncedObject(row.getInt("object_id"), instance < 0 ? null : instance,
                            row.getString("object_version"));
                }, endpoint);
    }

    private static Device withTags(Device d, List<String> tags) {
        return new Device(d.endpoint(), d.label(), List.copyOf(tags), d.credentials(), d.status(), d.createdAt(),
                d.registration());
    }

    private static Device map(ResultSet row, List<String> tags, List<AnnouncedObject> objects) throws SQLException {
        DeviceRegistration registration = null;
        if (row.getString("registration_id") != null) {
            registration = new DeviceRegistration(row.getString("registration_id"), row.getString("lwm2m_version"),
                    row.getString("binding"), row.getBoolean("queue_mode"),
                    Duration.ofSeconds(row.getLong("lifetime_s")), row.getString("object_links"), objects,
                    row.getString("peer_address"), row.getString("security_mode"), Jdbc.instant(row, "registered_at"),
                    Jdbc.instant(row, "last_update"));
        }
        return new Device(row.getString("endpoint"), row.getString("label"), tags, credentials(row),
                DeviceStatus.valueOf(row.getString("status")), Jdbc.instant(row, "created_at"), registration);
    }

    private static Credentials credentials(ResultSet row) throws SQLException {
        return switch (row.getString("credentials_kind")) {
        case "psk" -> new Credentials.Psk(row.getString("psk_identity"), row.getBytes("psk_key"));
        case "rpk" -> new Credentials.Rpk(Credentials.publicKeyFromDer(row.getBytes("rpk_public_key")));
        case "x509" -> {
            byte[] pinned = row.getBytes("x509_certificate");
            yield new Credentials.X509(pinned == null ? null : DeviceCertificate.fromDer(pinned));
        }
        default -> new Credentials.NoSec();
        };
    }

    /**
     * "Endpoint or label contains", with {@link #containsPattern} twice. On PostgreSQL the trigram indexes are on
     * exactly these expressions (the endpoint's collation is "C", whose LOWER folds ASCII letters only).
     */
    private static final String CONTAINS = "LOWER(d.endpoint) LIKE ? ESCAPE '\\' OR d.label_key LIKE ? ESCAPE '\\'";

    private static String containsPattern(String text) {
        return "%" + escapeLike(text.toLowerCase(Locale.ROOT)) + "%";
    }

    private static String escapeLike(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** Credentials as columns. */
    private record StoredCredentials(String kind, String pskIdentity, byte[] pskKey, byte[] rpkPublicKey,
            byte[] x509Certificate) {
        static StoredCredentials of(Credentials credentials) {
            // Java 17 has no pattern switch yet.
            if (credentials instanceof Credentials.Psk psk) {
                return new StoredCredentials("psk", psk.identity(), psk.key(), null, null);
            }
            if (credentials instanceof Credentials.Rpk rpk) {
                return new StoredCredentials("rpk", null, null, rpk.publicKey().getEncoded(), null);
            }
            if (credentials instanceof Credentials.X509 x509 && x509.pinned()) {
                return new StoredCredentials("x509", null, null, null, x509.certificate().der());
            }
            return new StoredCredentials(credentials.kind(), null, null, null, null);
        }
    }
}
