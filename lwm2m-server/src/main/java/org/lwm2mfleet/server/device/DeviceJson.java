package org.lwm2mfleet.server.device;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import org.lwm2mfleet.server.device.DeviceRegistration.AnnouncedObject;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.models.ModelCatalogue;

import com.fasterxml.jackson.databind.JsonNode;

/** The device room's JSON: request bodies in (with field-by-field errors) and views out (never a key). */
final class DeviceJson {

    private static final Set<String> DEVICE_FIELDS = Set.of("endpoint", "credentials", "tags", "label");
    private static final Set<String> CREDENTIAL_FIELDS = Set.of("kind", "identity", "key", "publicKey", "certificate");

    private DeviceJson() {
    }

    // ---- in --------------------------------------------------------------------------------------------------------

    static NewDevice newDevice(JsonNode json, String prefix) {
        requireObject(json, prefix.isEmpty() ? "body" : prefix);
        rejectUnknown(json, DEVICE_FIELDS, prefix);
        String endpoint = text(json, "endpoint", prefix);
        Credentials credentials = credentials(json.get("credentials"), prefix + "credentials");
        return new NewDevice(endpoint, credentials, tags(json.get("tags"), prefix + "tags"),
                text(json, "label", prefix));
    }

    static Credentials credentials(JsonNode json, String field) {
        if (json == null || json.isNull()) {
            throw FleetException.invalid(field, "is required");
        }
        requireObject(json, field);
        rejectUnknown(json, CREDENTIAL_FIELDS, field + ".");
        String kind = text(json, "kind", field + ".");
        String identity = text(json, "identity", field + ".");
        String key = text(json, "key", field + ".");
        String publicKey = text(json, "publicKey", field + ".");
        String certificate = text(json, "certificate", field + ".");
        try {
            return Credentials.parse(kind, identity, key, publicKey, certificate);
        } catch (FleetException e) {
            // Credentials.parse names fields from "credentials."; keep any prefix such as "devices[3]."
            throw FleetException.invalid(field + e.field().substring("credentials".length()), e.getMessage());
        }
    }

    private static List<String> tags(JsonNode json, String field) {
        if (json == null || json.isNull()) {
            return List.of();
        }
        if (!json.isArray()) {
            throw FleetException.invalid(field, "must be a list of strings");
        }
        List<String> tags = new ArrayList<>();
        for (JsonNode tag : json) {
            if (!tag.isTextual()) {
                throw FleetException.invalid(field, "must be a list of strings");
            }
            tags.add(tag.asText());
        }
        return tags;
    }

    private static String text(JsonNode json, String name, String prefix) {
        JsonNode value = json.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw FleetException.invalid(prefix + name, "must be a string");
        }
        return value.asText();
    }

    private static void requireObject(JsonNode json, String field) {
        if (!json.isObject()) {
            throw FleetException.invalid(field, "must be a JSON object");
        }
    }

    private static void rejectUnknown(JsonNode json, Set<String> known, String prefix) {
        for (Iterator<String> names = json.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                throw FleetException.invalid(prefix + name, "unknown field; known: " + String.join(", ",
                        known.stream().sorted().toList()));
            }
        }
    }

    // ---- out -------------------------------------------------------------------------------------------------------

    static Map<String, Object> summary(Device device) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("endpoint", device.endpoint());
        json.put("label", device.label());
        json.put("tags", device.tags());
        json.put("status", device.status().name().toLowerCase(Locale.ROOT));
        json.put("credentials", credentialsView(device.credentials()));
        json.put("createdAt", device.createdAt());
        DeviceRegistration registration = device.registration();
        json.put("lastUpdate", registration == null ? null : registration.lastUpdate());
        json.put("lwm2mVersion", registration == null ? null : registration.lwm2mVersion());
        return json;
    }

    /** @param models the model used for an announced object and version, or null when the server has none */
    static Map<String, Object> detail(Device device, BiFunction<Integer, String, ModelCatalogue.Choice> models) {
        Map<String, Object> json = summary(device);
        json.remove("lastUpdate");
        json.remove("lwm2mVersion");
        DeviceRegistration registration = device.registration();
        if (registration == null) {
            json.put("registration", null);
            return json;
        }
        Map<String, Object> reg = new LinkedHashMap<>();
        reg.put("id", registration.registrationId());
        reg.put("lwm2mVersion", registration.lwm2mVersion());
        reg.put("binding", registration.binding());
        reg.put("queueMode", registration.queueMode());
        reg.put("lifetime", registration.lifetime().toSeconds());
        reg.put("peerAddress", registration.peerAddress());
        reg.put("securityMode", registration.securityMode());
        reg.put("registeredAt", registration.registeredAt());
        reg.put("lastUpdate", registration.lastUpdate());
        reg.put("objectLinks", registration.objectLinks());
        List<Map<String, Object>> objects = new ArrayList<>();
        for (AnnouncedObject object : registration.objects()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("path", "/" + object.objectId() + (object.instanceId() == null ? "" : "/" + object.instanceId()));
            o.put("objectId", object.objectId());
            o.put("instanceId", object.instanceId());
            o.put("version", object.version());
            ModelCatalogue.Choice model = models.apply(object.objectId(),
                    object.version() == null ? "1.0" : object.version());
            o.put("name", model == null ? null : model.model().name);
            // The version of the model the server reads and writes this object with: the announced one, or the
            // nearest it has when it lacks that one (versionAssumed).
            o.put("modelVersion", model == null ? null : model.model().version);
            o.put("versionAssumed", model != null && model.assumed());
            objects.add(o);
        }
        reg.put("objects", objects);
        json.put("registration", reg);
        return json;
    }

    /**
     * The device's DTLS session: {@code kind} full-handshake, resumed or restored (from the state saved at the last
     * graceful stop), and {@code since} when this server saw it start; null when it has sent nothing over DTLS since
     * the server started (held in memory only).
     */
    static Map<String, Object> sessionView(DeviceSessions.Session session) {
        if (session == null) {
            return null;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kind", session.kind().json());
        json.put("since", session.since());
        return json;
    }

    /** What an operator needs to recognise a pinned certificate; the certificate itself is not returned. */
    static Map<String, Object> certificateView(DeviceCertificate certificate) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("subject", certificate.subject());
        json.put("issuer", certificate.issuer());
        json.put("notAfter", certificate.notAfter());
        json.put("sha256", certificate.sha256());
        return json;
    }

    static Map<String, Object> credentialsView(Credentials credentials) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kind", credentials.kind());
        if (credentials instanceof Credentials.Psk psk) {
            json.put("identity", psk.identity());
        } else if (credentials instanceof Credentials.Rpk rpk) {
            json.put("publicKeySha256", rpk.fingerprint());
        } else if (credentials instanceof Credentials.X509 x509) {
            json.put("certificate", x509.pinned() ? certificateView(x509.certificate()) : null);
        }
        return json;
    }
}
