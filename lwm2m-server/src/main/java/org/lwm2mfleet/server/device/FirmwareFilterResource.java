package org.lwm2mfleet.server.device;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;

/**
 * {@code GET /api/v1/fleet/firmware/devices?model=&version=&cursor=&limit=}: the devices that run a firmware version
 * (and/or are of a model), as the device list shows them, sorted by endpoint and cursor-paged like
 * {@code /api/v1/devices}. Which devices match is the firmware inventory's answer (read at each registration).
 */
public final class FirmwareFilterResource {

    private static final int DEFAULT_PAGE = 50;

    private final DeviceService devices;
    private final BiFunction<String, String, List<String>> select;

    /** @param select the endpoints, sorted, whose model and/or version match (null: any) */
    public FirmwareFilterResource(DeviceService devices, BiFunction<String, String, List<String>> select) {
        this.devices = devices;
        this.select = select;
    }

    public void register(Router router) {
        router.get("/api/v1/fleet/firmware/devices", this::list);
    }

    private void list(Exchange exchange) {
        String model = blankToNull(exchange.query("model"));
        String version = blankToNull(exchange.query("version"));
        if (model == null && version == null) {
            throw FleetException.invalid("version", "give a firmware version and/or a model");
        }
        int limit = exchange.queryInt("limit", DEFAULT_PAGE);
        if (limit < 1 || limit > DeviceService.MAX_PAGE) {
            throw FleetException.invalid("limit", "must be between 1 and " + DeviceService.MAX_PAGE);
        }
        String cursor = exchange.query("cursor");
        List<String> matching = select.apply(model, version).stream()
                .filter(endpoint -> cursor == null || endpoint.compareTo(cursor) > 0).sorted().toList();
        List<Map<String, Object>> items = new java.util.ArrayList<>();
        String last = null;
        for (String endpoint : matching) {
            if (items.size() == limit) {
                break;
            }
            last = endpoint;
            try {
                items.add(DeviceJson.summary(devices.get(endpoint)));
            } catch (FleetException deleted) {
                // deleted since the inventory was read: not part of the fleet any more
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("nextCursor", last != null && matching.indexOf(last) < matching.size() - 1 ? last : null);
        exchange.json(200, body);
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.strip();
    }
}
