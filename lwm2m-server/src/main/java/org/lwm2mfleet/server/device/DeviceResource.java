package org.lwm2mfleet.server.device;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.auth.Role;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.models.ModelCatalogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

/** REST for the registry under {@code /api/v1/devices}: list, show, provision (one or in bulk), re-key, delete. */
public final class DeviceResource {

    private static final int DEFAULT_PAGE = 50;
    private static final CsvMapper CSV = CsvMapper.builder().enable(CsvParser.Feature.TRIM_SPACES).build();

    private final DeviceService devices;
    private final BiFunction<Integer, String, ModelCatalogue.Choice> objectName;

    /** @param models the model the server uses for each announced object and version (and whether it is assumed) */
    public DeviceResource(DeviceService devices, ModelCatalogue models) {
        this.devices = devices;
        this.objectName = models::choose;
    }

    public void register(Router router) {
        router.get("/api/v1/devices", this::list);
        router.post("/api/v1/devices", this::create);
        router.post("/api/v1/devices:bulk", this::bulk);
        router.get("/api/v1/devices/{endpoint}", this::show);
        router.delete("/api/v1/devices/{endpoint}", this::delete);
        // Credentials are for those who provision devices, even without their keys.
        router.get("/api/v1/devices/{endpoint}/credentials", Role.OPERATOR, this::showCredentials);
        router.put("/api/v1/devices/{endpoint}/credentials", this::replaceCredentials);
    }

    private void list(Exchange exchange) {
        DeviceQuery query = new DeviceQuery(status(exchange.query("status")), exchange.query("tag"),
                exchange.query("q"), objectId(exchange.query("object")), exchange.query("cursor"),
                exchange.queryInt("limit", DEFAULT_PAGE), DeviceSort.parse(exchange.query("sort")));
        DevicePage page = devices.list(query);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", page.items().stream().map(DeviceJson::summary).toList());
        body.put("nextCursor", page.nextCursor());
        exchange.json(200, body);
    }

    private void show(Exchange exchange) {
        Device device = devices.get(exchange.path("endpoint"));
        Map<String, Object> body = DeviceJson.detail(device, objectName);
        body.put("session", DeviceJson.sessionView(devices.sessions().get(device.endpoint())));
        exchange.json(200, body);
    }

    private void create(Exchange exchange) {
        requireJson(exchange);
        Device device = devices.provision(DeviceJson.newDevice(exchange.bodyJson(), ""));
        exchange.response().getHeaders().put("Location", "/api/v1/devices/" + device.endpoint());
        exchange.json(201, DeviceJson.detail(device, objectName));
    }

    /** JSON (a list, or {"devices": [...]}) or CSV with a header line; each row succeeds or fails on its own. */
    private void bulk(Exchange exchange) throws IOException {
        List<Supplier<NewDevice>> rows = exchange.contentType().equals("text/csv") ? csvRows(exchange.bodyText())
                : jsonRows(exchange);
        if (rows.isEmpty()) {
            throw FleetException.invalid("devices", "no rows to provision");
        }
        exchange.json(200, devices.provisionAll(rows));
    }

    private List<Supplier<NewDevice>> jsonRows(Exchange exchange) {
        requireJson(exchange);
        JsonNode body = exchange.bodyJson();
        JsonNode list = body.isObject() ? body.get("devices") : body;
        if (list == null || !list.isArray()) {
            throw FleetException.invalid("devices", "must be a list of devices, or {\"devices\": [...]}");
        }
        List<Supplier<NewDevice>> rows = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode row = list.get(i);
            String prefix = "devices[" + i + "].";
            rows.add(() -> DeviceJson.newDevice(row, prefix));
        }
        return rows;
    }

    /**
     * Columns: endpoint, kind, identity, key, public_key, certificate, tags (separated by ';'), label. A certificate
     * is PEM in a quoted field (its line breaks kept) or the Base64 of its DER on one line.
     */
    private static List<Supplier<NewDevice>> csvRows(String text) throws IOException {
        List<Supplier<NewDevice>> rows = new ArrayList<>();
        try (MappingIterator<Map<String, String>> lines = CSV.readerFor(Map.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(text)) {
            while (lines.hasNext()) {
                Map<String, String> line = lines.next();
                rows.add(() -> new NewDevice(blankToNull(line.get("endpoint")),
                        Credentials.parse(blankToNull(line.get("kind")), blankToNull(line.get("identity")),
                                blankToNull(line.get("key")), blankToNull(line.get("public_key")),
                                blankToNull(line.get("certificate"))),
                        tagList(line.get("tags")), blankToNull(line.get("label"))));
            }
        } catch (RuntimeException e) {
            if (e instanceof FleetException) {
                throw e;
            }
            throw FleetException.invalid("body", "not CSV with a header line: " + e.getMessage());
        }
        return rows;
    }

    private void delete(Exchange exchange) {
        devices.delete(exchange.path("endpoint"));
        exchange.noContent();
    }

    private void showCredentials(Exchange exchange) {
        exchange.json(200, DeviceJson.credentialsView(devices.get(exchange.path("endpoint")).credentials()));
    }

    private void replaceCredentials(Exchange exchange) {
        requireJson(exchange);
        Credentials credentials = DeviceJson.credentials(exchange.bodyJson(), "credentials");
        exchange.json(200, DeviceJson.detail(devices.replaceCredentials(exchange.path("endpoint"), credentials),
                objectName));
    }

    private static void requireJson(Exchange exchange) {
        String type = exchange.contentType();
        if (!type.isEmpty() && !type.equals("application/json")) {
            throw new FleetException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                    "send application/json" + (type.equals("text/csv") ? " (CSV goes to /api/v1/devices:bulk)" : ""));
        }
    }

    private static DeviceStatus status(String text) {
        if (text == null) {
            return null;
        }
        try {
            return DeviceStatus.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw FleetException.invalid("status", "one of online, sleeping, offline");
        }
    }

    private static Integer objectId(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Integer.valueOf(text);
        } catch (NumberFormatException e) {
            throw FleetException.invalid("object", "must be an object id such as 3303");
        }
    }

    private static List<String> tagList(String text) {
        return text == null || text.isBlank() ? List.of()
                : Arrays.stream(text.split(";")).map(String::strip).filter(t -> !t.isEmpty()).toList();
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.strip();
    }
}
