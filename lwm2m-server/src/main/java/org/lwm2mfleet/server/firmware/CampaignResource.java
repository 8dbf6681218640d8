package org.lwm2mfleet.server.firmware;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;

/** REST for firmware campaigns under {@code /api/v1/campaigns}. */
public final class CampaignResource {

    private static final Set<String> FIELDS = Set.of("name", "imageId", "devices", "tag", "model",
            "firmwareVersion", "concurrency", "stages", "successThreshold", "failureThreshold", "maxAttempts",
            "retryBackoff", "window");

    static final int DEFAULT_PAGE = 100;
    /** The campaign's view lists the first failures only; the devices endpoint filtered by state has them all. */
    static final int MAX_FAILURES = 100;

    private final Campaigns campaigns;

    public CampaignResource(Campaigns campaigns) {
        this.campaigns = campaigns;
    }

    public void register(Router router) {
        router.post("/api/v1/campaigns", this::create);
        router.get("/api/v1/campaigns", e -> e.json(200, Map.of("items", campaigns.list())));
        router.get("/api/v1/campaigns/{id}", e -> e.json(200, view(id(e))));
        router.get("/api/v1/campaigns/{id}/devices", this::devices);
        router.post("/api/v1/campaigns/{id}:pause", e -> e.json(200, campaigns.pause(id(e))));
        router.post("/api/v1/campaigns/{id}:resume", e -> e.json(200, campaigns.resume(id(e))));
        router.post("/api/v1/campaigns/{id}:cancel", e -> e.json(200, campaigns.cancel(id(e))));
    }

    /**
     * Body: {@code {"name": "spring", "imageId": 1, "tag": "meters" | "devices": [...], "concurrency": 5,
     * "stages": [1, 10, 100], "successThreshold": 0.9, "failureThreshold": 0.1, "maxAttempts": 3,
     * "retryBackoff": "PT30S"}}.
     */
    private void create(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        if (!body.isObject()) {
            throw FleetException.invalid("body", "must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw FleetException.invalid(name, "unknown field; known: " + String.join(", ", FIELDS.stream()
                        .sorted().toList()));
            }
        }
        if (!body.path("imageId").canConvertToLong()) {
            throw FleetException.invalid("imageId", "the id of an uploaded image is required");
        }
        List<String> devices = null;
        if (body.has("devices")) {
            devices = new ArrayList<>();
            if (!body.get("devices").isArray()) {
                throw FleetException.invalid("devices", "a list of endpoints");
            }
            for (JsonNode device : body.get("devices")) {
                devices.add(device.asText());
            }
        }
        String tag = text(body, "tag");
        String model = text(body, "model");
        String firmwareVersion = text(body, "firmwareVersion");
        if (devices == null && tag == null && model == null && firmwareVersion == null) {
            throw FleetException.invalid("devices", "give the devices, a tag, or a model and/or firmware version");
        }
        java.time.LocalTime windowStart = null;
        java.time.LocalTime windowEnd = null;
        if (body.has("window")) {
            try {
                windowStart = java.time.LocalTime.parse(body.get("window").path("start").asText());
                windowEnd = java.time.LocalTime.parse(body.get("window").path("end").asText());
            } catch (DateTimeParseException e) {
                throw FleetException.invalid("window", "{\"start\": \"01:00\", \"end\": \"05:00\"} (UTC)");
            }
        }
        List<Integer> stages = new ArrayList<>();
        if (body.has("stages")) {
            if (!body.get("stages").isArray()) {
                throw FleetException.invalid("stages", "a list of percentages, e.g. [1, 10, 100]");
            }
            for (JsonNode stage : body.get("stages")) {
                if (!stage.canConvertToInt()) {
                    throw FleetException.invalid("stages", "a list of percentages, e.g. [1, 10, 100]");
                }
                stages.add(stage.asInt());
            }
        }
        Duration backoff;
        try {
            backoff = Duration.parse(body.path("retryBackoff").asText("PT30S"));
        } catch (DateTimeParseException e) {
            throw FleetException.invalid("retryBackoff", "an ISO-8601 duration such as PT30S");
        }
        Campaigns.Campaign campaign = campaigns.create(new Campaigns.NewCampaign(body.path("name").asText(null),
                body.get("imageId").asLong(), devices, tag, model, firmwareVersion, body.path("concurrency").asInt(10),
                stages, body.path("successThreshold").asDouble(0.9), body.path("failureThreshold").asDouble(0.1),
                body.path("maxAttempts").asInt(3), backoff, windowStart, windowEnd));
        exchange.response().getHeaders().put("Location", "/api/v1/campaigns/" + campaign.id());
        exchange.json(201, view(campaign.id()));
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw FleetException.invalid(field, "must be a string");
        }
        return value.asText();
    }

    /** {@code ?limit=100&after=<nextCursor>&state=failed}: a page of the devices in campaign order. */
    private void devices(Exchange exchange) {
        Campaigns.DevicePage page = campaigns.devices(id(exchange), exchange.query("state"), exchange.query("after"),
                exchange.queryInt("limit", DEFAULT_PAGE));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", page.items());
        body.put("nextCursor", page.nextCursor());
        exchange.json(200, body);
    }

    private Map<String, Object> view(long id) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("campaign", campaigns.get(id));
        json.put("counts", campaigns.counts(id));
        json.put("failures", campaigns.failures(id, MAX_FAILURES).stream().map(d -> {
            Map<String, Object> failure = new LinkedHashMap<>();
            failure.put("endpoint", d.endpoint());
            failure.put("status", d.status());
            failure.put("attempts", d.attempts());
            failure.put("reason", d.lastFailure());
            return failure;
        }).toList());
        return json;
    }

    private static long id(Exchange exchange) {
        try {
            return Long.parseLong(exchange.path("id"));
        } catch (NumberFormatException e) {
            throw FleetException.invalid("id", "must be a number");
        }
    }
}
