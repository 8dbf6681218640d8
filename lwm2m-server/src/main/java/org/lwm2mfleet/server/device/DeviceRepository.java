package org.lwm2mfleet.server.device;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.lwm2mfleet.server.device.DeviceRegistration.AnnouncedObject;
import org.lwm2mfleet.server.store.Jdbc;

/** The SQL of the device room: tables devices, device_tags and device_objects. */
final class DeviceRepository {

    private static final String COLUMNS = "endpoint, label, credentials_kind, psk_identity, psk_key, rpk_public_key,"
            + " x509_certificate, created_at, status, registration_id, lwm2m_version, binding, queue_mode, lifetime_s, object_links,"
            + " peer_address, security_mode, registered_at, last_update";

    private final Jdbc jdbc;

    DeviceRepository(Jdbc jdbc) {
        this.jdbc = jdbc;
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
    }

    /** Creates the row of a device that registered without being provisioned (plain CoAP, when allowed). */
    boolean insertIfAbsent(String endpoint, Instant now) {
        return jdbc.update("INSERT INTO devices (endpoint, credentials_kind, created_at, status)"
                + " SELECT ?, 'none', ?, ? WHERE NOT EXISTS (SELECT 1 FROM devices WHERE endpoint = ?)", endpoint, now,
                DeviceStatus.OFFLINE.name(), endpoint) == 1;
    }

    boolean updateCredentials(String endpoint, Credentials credentials) {
        StoredCredentials stored = StoredCredentials.of(credentials);
        return jdbc.update("UPDATE devices SET credentials_kind = ?, psk_identity = ?, psk_key = ?, rpk_public_key = ?,"
                + " x509_certificate = ? WHERE endpoint = ?", stored.kind, stored.pskIdentity, stored.pskKey,
                stored.rpkPublicKey, stored.x509Certificate, endpoint) == 1;
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
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM devices d WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (query.status() != null) {
            sql.append(" AND d.status = ?");
            params.add(query.status().name());
        }
        if (query.tag() != null) {
            sql.append(" AND EXISTS (SELECT 1 FROM device_tags t WHERE t.endpoint = d.endpoint AND t.tag = ?)");
            params.add(query.tag());
        }
        if (query.text() != null) {
            String pattern = "%" + escapeLike(query.text().toLowerCase(Locale.ROOT)) + "%";
            sql.append(" AND (LOWER(d.endpoint) LIKE ? ESCAPE '\\' OR LOWER(d.label) LIKE ? ESCAPE '\\')");
            params.add(pattern);
            params.add(pattern);
        }
        if (query.objectId() != null) {
            sql.append(" AND EXISTS (SELECT 1 FROM device_objects o WHERE o.endpoint = d.endpoint"
                    + " AND o.object_id = ?)");
            params.add(query.objectId());
        }
        if (query.after() != null) {
            sql.append(" AND d.endpoint > ?");
            params.add(query.after());
        }
        // One more than asked tells whether there is a next page.
        sql.append(" ORDER BY d.endpoint LIMIT ?");
        params.add(query.limit() + 1);

        List<Device> rows = jdbc.query(sql.toString(), row -> map(row, List.of(), List.of()), params.toArray());
        boolean more = rows.size() > query.limit();
        List<Device> page = more ? rows.subList(0, query.limit()) : rows;
        Map<String, List<String>> tags = tagsOf(page.stream().map(Device::endpoint).toList());
        List<Device> items = page.stream().map(d -> withTags(d, tags.getOrDefault(d.endpoint(), List.of()))).toList();
        return new DevicePage(items, more ? items.get(items.size() - 1).endpoint() : null);
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

    /** @param objectsChanged false when the announced objects are the stored ones (most updates): keep those rows */
    void recordRegistration(String endpoint, DeviceRegistration registration, DeviceStatus status,
            boolean objectsChanged) {
        jdbc.update("UPDATE devices SET status = ?, registration_id = ?, lwm2m_version = ?, binding = ?,"
                + " queue_mode = ?, lifetime_s = ?, object_links = ?, peer_address = ?, security_mode = ?,"
                + " registered_at = ?, last_update = ? WHERE endpoint = ?", status.name(),
                registration.registrationId(), registration.lwm2mVersion(), registration.binding(),
                registration.queueMode(), registration.lifetime().toSeconds(), registration.objectLinks(),
                registration.peerAddress(), registration.securityMode(), registration.registeredAt(),
                registration.lastUpdate(), endpoint);
        if (!objectsChanged) {
            return;
        }
        jdbc.update("DELETE FROM device_objects WHERE endpoint = ?", endpoint);
        for (AnnouncedObject object : registration.objects()) {
            jdbc.update("MERGE INTO device_objects (endpoint, object_id, instance_id, object_version)"
                    + " KEY (endpoint, object_id, instance_id) VALUES (?, ?, ?, ?)", endpoint, object.objectId(),
                    object.instanceId() == null ? -1 : object.instanceId(), object.version());
        }
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

    /** The announced objects of many devices, replacing what they announced before, in two statement batches. */
    void replaceObjects(Map<String, List<AnnouncedObject>> objectsChanged) {
        jdbc.batch("DELETE FROM device_objects WHERE endpoint = ?",
                objectsChanged.keySet().stream().map(endpoint -> new Object[] { endpoint }).toList());
        List<Object[]> objects = new ArrayList<>();
        objectsChanged.forEach((endpoint, announced) -> announced.forEach(object -> objects.add(new Object[] {
                endpoint, object.objectId(), object.instanceId() == null ? -1 : object.instanceId(),
                object.version() })));
        jdbc.batch("INSERT INTO device_objects (endpoint, object_id, instance_id, object_version) VALUES (?, ?, ?, ?)",
                objects);
    }

    /** {@link #recordStatus} for many, in one batch. */
    void recordStatuses(List<Object[]> statusEndpointRegistration) {
        jdbc.batch("UPDATE devices SET status = ? WHERE endpoint = ? AND registration_id = ?",
                statusEndpointRegistration);
    }

    /** Sets the status only if the device is still on the given registration (a newer one must not be undone). */
    void recordStatus(String endpoint, String registrationId, DeviceStatus status) {
        jdbc.update("UPDATE devices SET status = ? WHERE endpoint = ? AND registration_id = ?", status.name(), endpoint,
                registrationId);
    }

    /** After a restart no registration survives (they live in memory): every device is offline until it registers. */
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
