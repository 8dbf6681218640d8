package org.lwm2mfleet.server.lwm2m;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.leshan.core.LwM2m.LwM2mVersion;
import org.eclipse.leshan.core.LwM2m.Version;
import org.eclipse.leshan.core.endpoint.EndpointUri;
import org.eclipse.leshan.core.link.DefaultLinkSerializer;
import org.eclipse.leshan.core.link.Link;
import org.eclipse.leshan.core.link.LinkParseException;
import org.eclipse.leshan.core.link.lwm2m.LwM2mLinkParser;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.observation.CompositeObservation;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.observation.ObservationIdentifier;
import org.eclipse.leshan.core.observation.SingleObservation;
import org.eclipse.leshan.core.peer.IpPeer;
import org.eclipse.leshan.core.peer.LwM2mIdentity;
import org.eclipse.leshan.core.peer.LwM2mPeer;
import org.eclipse.leshan.core.peer.OscoreIdentity;
import org.eclipse.leshan.core.peer.PskIdentity;
import org.eclipse.leshan.core.peer.RpkIdentity;
import org.eclipse.leshan.core.peer.SocketIdentity;
import org.eclipse.leshan.core.peer.X509Identity;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.server.registration.Registration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Leshan's {@link Registration} and {@link Observation} as JSON, for {@link PersistentRegistrationStore}. Leshan 2's
 * core has no serializer of its own (its Redis store's went with the Redis module), so this maps the fields a
 * registration is rebuilt from. The registration's last update and lifetime are not in it: they are columns of their
 * own, refreshed in batches (see {@link PersistentRegistrationStore}).
 *
 * <p>
 * An observation's protocol data holds Californium's own serialized CoAP observation (the original request and its
 * endpoint context): that is what lets Californium match a notification's token to it after a restart, so it is kept
 * as it is.
 */
final class RegistrationJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final DefaultLinkSerializer LINKS = new DefaultLinkSerializer();
    /**
     * The server's own parser (tolerant of quoted versions): its attribute models are shared, and a link attribute is
     * equal to another only with the same model, so links read back equal those Leshan parsed at registration.
     */
    private static final LwM2mLinkParser LINK_PARSER = new QuietLinkParser();

    private RegistrationJson() {
    }

    // ---- registrations ---------------------------------------------------------------------------------------------

    static String write(Registration registration) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("id", registration.getId());
        json.put("endpoint", registration.getEndpoint());
        json.set("peer", peer(registration.getClientTransportData()));
        json.set("endpointUri", endpointUri(registration.getEndpointUri()));
        json.put("registrationDate", registration.getRegistrationDate().getTime());
        json.put("smsNumber", registration.getSmsNumber());
        json.put("lwm2mVersion", registration.getLwM2mVersion().toString());
        ArrayNode binding = json.putArray("binding");
        registration.getBindingMode().forEach(mode -> binding.add(mode.name()));
        if (registration.getQueueMode() != null) {
            json.put("queueMode", registration.getQueueMode());
        }
        json.put("objectLinks", LINKS.serializeCoreLinkFormat(registration.getObjectLinks()));
        json.put("rootPath", registration.getRootPath());
        if (registration.getSupportedContentFormats() != null) {
            ArrayNode formats = json.putArray("contentFormats");
            registration.getSupportedContentFormats().forEach(format -> formats.add(format.getCode()));
        }
        ObjectNode objects = json.putObject("supportedObjects");
        registration.getSupportedObject().forEach((id, version) -> objects.put(Integer.toString(id),
                version == null ? null : version.toString()));
        ArrayNode instances = json.putArray("availableInstances");
        registration.getAvailableInstances().forEach(path -> instances.add(path.toString()));
        json.set("additionalAttributes", strings(registration.getAdditionalRegistrationAttributes()));
        json.set("customData", strings(registration.getCustomRegistrationData()));
        return text(json);
    }

    /** @param lastUpdate and {@code lifetimeSeconds}: from their own columns, refreshed apart from the body */
    static Registration readRegistration(String body, Date lastUpdate, long lifetimeSeconds) {
        JsonNode json = tree(body);
        Registration.Builder builder = new Registration.Builder(json.get("id").asText(),
                json.get("endpoint").asText(), peer(json.get("peer")), endpointUri(json.get("endpointUri")));
        builder.registrationDate(new Date(json.get("registrationDate").asLong())).lastUpdate(lastUpdate)
                .lifeTimeInSec(lifetimeSeconds).smsNumber(textOrNull(json, "smsNumber"))
                .lwM2mVersion(LwM2mVersion.get(json.get("lwm2mVersion").asText()));
        EnumSet<BindingMode> binding = EnumSet.noneOf(BindingMode.class);
        json.get("binding").forEach(mode -> binding.add(BindingMode.valueOf(mode.asText())));
        builder.bindingMode(binding);
        if (json.hasNonNull("queueMode")) {
            builder.queueMode(json.get("queueMode").asBoolean());
        }
        byte[] links = json.get("objectLinks").asText().getBytes(StandardCharsets.UTF_8);
        try {
            builder.objectLinks(LINK_PARSER.parseCoreLinkFormat(links));
        } catch (LinkParseException e) {
            throw new IllegalArgumentException("stored object links do not parse: " + e.getMessage(), e);
        }
        builder.rootPath(textOrNull(json, "rootPath"));
        if (json.hasNonNull("contentFormats")) {
            Set<ContentFormat> formats = new LinkedHashSet<>();
            json.get("contentFormats").forEach(code -> formats.add(ContentFormat.fromCode(code.asInt())));
            builder.supportedContentFormats(formats);
        }
        Map<Integer, Version> objects = new LinkedHashMap<>();
        json.get("supportedObjects").fields().forEachRemaining(object -> objects.put(Integer.valueOf(object.getKey()),
                object.getValue().isNull() ? null : new Version(object.getValue().asText())));
        builder.supportedObjects(objects);
        Set<LwM2mPath> instances = new LinkedHashSet<>();
        json.get("availableInstances").forEach(path -> instances.add(new LwM2mPath(path.asText())));
        builder.availableInstances(instances);
        builder.additionalRegistrationAttributes(strings(json.get("additionalAttributes")));
        builder.customRegistrationData(strings(json.get("customData")));
        return builder.build();
    }

    // ---- observations ----------------------------------------------------------------------------------------------

    static String write(Observation observation) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("registrationId", observation.getRegistrationId());
        json.set("endpointUri", endpointUri(observation.getId().getEndpointUri()));
        json.put("token", observation.getId().getAsHexString());
        if (observation instanceof SingleObservation single) {
            json.put("kind", "single");
            json.put("path", single.getPath().toString());
            if (single.getContentFormat() != null) {
                json.put("contentFormat", single.getContentFormat().getCode());
            }
        } else if (observation instanceof CompositeObservation composite) {
            json.put("kind", "composite");
            ArrayNode paths = json.putArray("paths");
            composite.getPaths().forEach(path -> paths.add(path.toString()));
            if (composite.getRequestContentFormat() != null) {
                json.put("requestContentFormat", composite.getRequestContentFormat().getCode());
            }
            if (composite.getResponseContentFormat() != null) {
                json.put("responseContentFormat", composite.getResponseContentFormat().getCode());
            }
        } else {
            throw new IllegalArgumentException("unknown observation type " + observation.getClass().getName());
        }
        json.set("context", strings(observation.getContext()));
        json.set("protocolData", strings(observation.getProtocolData()));
        return text(json);
    }

    static Observation readObservation(String body) {
        JsonNode json = tree(body);
        ObservationIdentifier id = new ObservationIdentifier(endpointUri(json.get("endpointUri")),
                HexFormat.of().parseHex(json.get("token").asText()));
        String registrationId = json.get("registrationId").asText();
        Map<String, String> context = strings(json.get("context"));
        Map<String, String> protocolData = strings(json.get("protocolData"));
        if ("single".equals(json.path("kind").asText())) {
            return new SingleObservation(id, registrationId, new LwM2mPath(json.get("path").asText()),
                    format(json, "contentFormat"), context, protocolData);
        }
        List<LwM2mPath> paths = new ArrayList<>();
        json.get("paths").forEach(path -> paths.add(new LwM2mPath(path.asText())));
        return new CompositeObservation(id, registrationId, paths, format(json, "requestContentFormat"),
                format(json, "responseContentFormat"), context, protocolData);
    }

    /** The observation's key column: its token in hex (the endpoint URI is a column of its own). */
    static String token(ObservationIdentifier id) {
        return id.getAsHexString();
    }

    static String endpointUriText(EndpointUri uri) {
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }

    // ---- parts -----------------------------------------------------------------------------------------------------

    private static ObjectNode peer(LwM2mPeer peer) {
        if (!(peer instanceof IpPeer ip)) {
            throw new IllegalArgumentException("unknown peer type " + peer.getClass().getName());
        }
        ObjectNode json = MAPPER.createObjectNode();
        // The literal address: reading it back must never ask DNS.
        json.put("address", ip.getSocketAddress().getAddress().getHostAddress());
        json.put("port", ip.getSocketAddress().getPort());
        json.put("virtualHost", ip.getVirtualHost());
        json.set("identity", identity(ip.getIdentity()));
        return json;
    }

    private static LwM2mPeer peer(JsonNode json) {
        return new IpPeer(socketAddress(json.get("address").asText(), json.get("port").asInt()),
                textOrNull(json, "virtualHost"), identity(json.get("identity")));
    }

    private static ObjectNode identity(LwM2mIdentity identity) {
        ObjectNode json = MAPPER.createObjectNode();
        if (identity instanceof PskIdentity psk) {
            json.put("kind", "psk").put("identity", psk.getPskIdentity());
        } else if (identity instanceof RpkIdentity rpk) {
            json.put("kind", "rpk").put("algorithm", rpk.getPublicKey().getAlgorithm()).put("key",
                    Base64.getEncoder().encodeToString(rpk.getPublicKey().getEncoded()));
        } else if (identity instanceof X509Identity x509) {
            json.put("kind", "x509").put("commonName", x509.getX509CommonName());
        } else if (identity instanceof SocketIdentity socket) {
            json.put("kind", "socket").put("address", socket.getSocketAddress().getAddress().getHostAddress())
                    .put("port", socket.getSocketAddress().getPort());
        } else if (identity instanceof OscoreIdentity oscore) {
            json.put("kind", "oscore").put("recipientId",
                    Base64.getEncoder().encodeToString(oscore.getRecipientId()));
        } else {
            throw new IllegalArgumentException("unknown identity type " + identity.getClass().getName());
        }
        return json;
    }

    private static LwM2mIdentity identity(JsonNode json) {
        return switch (json.get("kind").asText()) {
        case "psk" -> new PskIdentity(json.get("identity").asText());
        case "rpk" -> new RpkIdentity(publicKey(json.get("algorithm").asText(), json.get("key").asText()));
        case "x509" -> new X509Identity(json.get("commonName").asText());
        case "socket" -> new SocketIdentity(socketAddress(json.get("address").asText(), json.get("port").asInt()));
        case "oscore" -> new OscoreIdentity(Base64.getDecoder().decode(json.get("recipientId").asText()));
        default -> throw new IllegalArgumentException("unknown identity kind " + json.get("kind"));
        };
    }

    private static PublicKey publicKey(String algorithm, String base64) {
        try {
            return KeyFactory.getInstance(algorithm)
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("stored raw public key does not decode: " + e.getMessage(), e);
        }
    }

    private static ObjectNode endpointUri(EndpointUri uri) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("scheme", uri.getScheme()).put("host", uri.getHost()).put("port", uri.getPort());
        return json;
    }

    private static EndpointUri endpointUri(JsonNode json) {
        return new EndpointUri(json.get("scheme").asText(), json.get("host").asText(), json.get("port").asInt());
    }

    private static InetSocketAddress socketAddress(String literal, int port) {
        try {
            // A literal address (as written above): getByName parses it without a lookup.
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("stored address is not a literal: " + literal, e);
        }
    }

    private static ContentFormat format(JsonNode json, String field) {
        return json.hasNonNull(field) ? ContentFormat.fromCode(json.get(field).asInt()) : null;
    }

    private static ObjectNode strings(Map<String, String> map) {
        ObjectNode json = MAPPER.createObjectNode();
        if (map != null) {
            map.forEach(json::put);
        }
        return json;
    }

    private static Map<String, String> strings(JsonNode json) {
        Map<String, String> map = new LinkedHashMap<>();
        if (json != null) {
            json.fields().forEachRemaining(entry -> map.put(entry.getKey(),
                    entry.getValue().isNull() ? null : entry.getValue().asText()));
        }
        return map;
    }

    private static String textOrNull(JsonNode json, String field) {
        return json.hasNonNull(field) ? json.get(field).asText() : null;
    }

    private static JsonNode tree(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("stored row is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String text(JsonNode json) {
        try {
            return MAPPER.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
