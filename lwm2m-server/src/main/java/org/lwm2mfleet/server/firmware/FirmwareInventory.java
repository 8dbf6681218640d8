package org.lwm2mfleet.server.firmware;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.lwm2mfleet.server.ops.DeviceOperations;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each device is and runs: model number (/3/0/1) and firmware version (/3/0/3), read from the device each time
 * it registers (one read of /3/0) and kept in table device_firmware. Campaigns select devices by them; the fleet's
 * firmware versions are counted from them.
 */
public final class FirmwareInventory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareInventory.class);

    private final Jdbc jdbc;
    private final DeviceOperations operations;
    private final Clock clock;
    /** The outcome of a read arrives on a CoAP thread, which must not wait on the database. */
    private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors
            .newSingleThreadExecutor(org.lwm2mfleet.server.DaemonThreads.named("firmware-inventory"));

    public FirmwareInventory(Jdbc jdbc, DeviceOperations operations, EventBus events, Clock clock) {
        this.jdbc = jdbc;
        this.operations = operations;
        this.clock = clock;
        events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()), this::refresh);
        events.subscribe(e -> EventTypes.DELETED.equals(e.type()),
                e -> jdbc.update("DELETE FROM device_firmware WHERE endpoint = ?", e.endpoint()));
    }

    private void refresh(FleetEvent registered) {
        String endpoint = registered.endpoint();
        try {
            operations.read(endpoint, "/3/0", null).whenCompleteAsync((device, error) -> {
                if (error != null) {
                    LOG.debug("model and firmware version of {} not read: {}", endpoint, error.getMessage());
                    return;
                }
                String model = null;
                String version = null;
                for (Object resource : (List<?>) device.get("resources")) {
                    Map<?, ?> r = (Map<?, ?>) resource;
                    if ("/3/0/1".equals(r.get("path"))) {
                        model = String.valueOf(r.get("value"));
                    } else if ("/3/0/3".equals(r.get("path"))) {
                        version = String.valueOf(r.get("value"));
                    }
                }
                record(endpoint, model, version);
            }, writer);
        } catch (RuntimeException e) {
            LOG.debug("model and firmware version of {} not read: {}", endpoint, e.getMessage());
        }
    }

    /** Also called when an update succeeds: the device runs the image's version. */
    void record(String endpoint, String model, String version) {
        jdbc.update("MERGE INTO device_firmware (endpoint, model, version, read_at) KEY (endpoint)"
                + " VALUES (?, COALESCE(?, (SELECT model FROM device_firmware WHERE endpoint = ?)), ?, ?)", endpoint,
                model, endpoint, version, clock.instant());
    }

    /** Endpoints whose model and/or version match (null: any). */
    public List<String> select(String model, String version) {
        return jdbc.query("SELECT endpoint FROM device_firmware WHERE (? IS NULL OR model = ?)"
                + " AND (? IS NULL OR version = ?) ORDER BY endpoint", row -> row.getString("endpoint"), model, model,
                version, version);
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }

    /** How many devices run each version, by model. */
    public List<Map<String, Object>> versions() {
        return jdbc.query("SELECT model, version, COUNT(*) AS devices FROM device_firmware GROUP BY model, version"
                + " ORDER BY model, version", row -> {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("model", row.getString("model"));
                    json.put("version", row.getString("version"));
                    json.put("devices", row.getLong("devices"));
                    return json;
                });
    }
}
