package org.lwm2mfleet.server.firmware;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.jetty.io.Content;
import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;

/** REST for firmware images ({@code /api/v1/firmware}) and single-device updates. */
public final class FirmwareResource {

    private final FirmwareImages images;
    private final FirmwareUpdates updates;
    private final FirmwareInventory inventory;

    public FirmwareResource(FirmwareImages images, FirmwareUpdates updates, FirmwareInventory inventory) {
        this.images = images;
        this.updates = updates;
        this.inventory = inventory;
    }

    public void register(Router router) {
        router.streaming("POST", "/api/v1/firmware", this::upload);
        router.get("/api/v1/firmware", e -> e.json(200, Map.of("items", images.list())));
        router.get("/api/v1/firmware/versions", e -> e.json(200, Map.of("items", inventory.versions())));
        router.get("/api/v1/firmware/{id}", e -> e.json(200, images.get(id(e, "id"))));
        router.delete("/api/v1/firmware/{id}", e -> {
            images.delete(id(e, "id"));
            e.noContent();
        });
        router.post("/api/v1/devices/{endpoint}/firmware-updates", this::startUpdate);
        router.get("/api/v1/devices/{endpoint}/firmware-updates",
                e -> e.json(200, Map.of("items", updates.ofDevice(e.path("endpoint")))));
        router.get("/api/v1/firmware-updates/{id}", e -> {
            long id = id(e, "id");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("update", updates.get(id));
            body.put("history", updates.history(id));
            e.json(200, body);
        });
    }

    /**
     * {@code POST /api/v1/firmware?name=meter-fw&version=1.2.0&models=SIM-EM-1,SIM-WM-1} with the image as the body
     * ({@code application/octet-stream}), streamed to disk.
     */
    private void upload(Exchange exchange) {
        String type = exchange.contentType();
        if (!type.isEmpty() && !type.equals("application/octet-stream")) {
            throw new FleetException(org.lwm2mfleet.server.error.ProblemType.UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                    "send the image as application/octet-stream");
        }
        String models = exchange.query("models");
        List<String> modelList = models == null ? List.of()
                : Arrays.stream(models.split(",")).map(String::strip).filter(m -> !m.isEmpty()).toList();
        FirmwareImage image = images.upload(exchange.query("name"), exchange.query("version"), modelList,
                exchange.request().getLength(), Content.Source.asInputStream(exchange.request()),
                exchange.caller().actor());
        exchange.response().getHeaders().put("Location", "/api/v1/firmware/" + image.id());
        exchange.json(201, image);
    }

    /** Body: {@code {"imageId": 3}}. Answers 202: the update goes on, followed by {@code firmware} events. */
    private void startUpdate(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        JsonNode imageId = body.get("imageId");
        if (imageId == null || !imageId.canConvertToLong()) {
            throw FleetException.invalid("imageId", "the id of an uploaded image is required");
        }
        FirmwareUpdates.Update update = updates.start(exchange.path("endpoint"), imageId.asLong());
        exchange.response().getHeaders().put("Location", "/api/v1/firmware-updates/" + update.id());
        exchange.json(202, update);
    }

    private static long id(Exchange exchange, String name) {
        try {
            return Long.parseLong(exchange.path(name));
        } catch (NumberFormatException e) {
            throw FleetException.invalid(name, "must be a number");
        }
    }
}
