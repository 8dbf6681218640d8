package org.lwm2mfleet.server.firmware;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.lwm2mfleet.server.DaemonThreads;

import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.ops.DeviceOperations;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each device is and runs: model number (/3/0/1) and firmware version (/3/0/3), read from the device when it
 * registers (one read of /3/0) and kept in table device_firmware. Campaigns select devices by them; the fleet's
 * firmware versions are counted from them. A registration reads them only when they are unknown or older than the
 * configured age (an update through the server records the new version itself), so a fleet reconnecting after an
 * outage is not read again; and at most {@value #MAX_IN_FLIGHT} reads are out at once, so a registration storm is
 * not doubled by them.
 */
public final class FirmwareInventory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareInventory.class);
    static final int MAX_IN_FLIGHT = 16;

    private final Jdbc jdbc;
    private final DeviceOperations operations;
    private final Clock clock;
    private final Duration maxAge;
    /** The outcome of a read arrives on a CoAP thread, which must not wait on the database. */
    private final ExecutorService writer = Executors.newSingleThreadExecutor(DaemonThreads.named("firmware-inventory"));
    /** Devices waiting for a read, in registration order, each once. */
    private final Set<String> waiting = new LinkedHashSet<>();
    private int inFlight;

    /** @param maxAge how old a device's facts may be before its registration reads them again (zero: always) */
    public FirmwareInventory(Jdbc jdbc, DeviceOperations operations, EventBus events, Clock clock, Duration maxAge) {
        this.jdbc = jdbc;
        this.operations = operations;
        this.clock = clock;
        this.maxAge = maxAge;
        events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()),
                e -> writer.execute(() -> registered(e.endpoint())));
        events.subscribe(e -> EventTypes.DELETED.equals(e.type()),
                e -> jdbc.update("DELETE FROM device_firmware WHERE endpoint = ?", e.endpoint()));
    }

    // Runs on the writer thread, as does everything that touches waiting and inFlight.
    private void registered(String endpoint) {
        Instant readAt = jdbc.queryOne("SELECT read_at FROM device_firmware WHERE endpoint = ?",
                row -> Jdbc.instant(row, "read_at"), endpoint).orElse(null);
        if (readAt != null && !maxAge.isZero() && readAt.plus(maxAge).isAfter(clock.instant())) {
            return;
        }
        waiting.add(endpoint);
        startReads();
    }

    private void startReads() {
        while (inFlight < MAX_IN_FLIGHT && !waiting.isEmpty()) {
            var next = waiting.iterator();
            String endpoint = next.next();
            next.remove();
            inFlight++;
            read(endpoint).whenCompleteAsync((ignored, error) -> {
                inFlight--;
                startReads();
            }, writer);
        }
    }

    private CompletableFuture<Void> read(String endpoint) {
        try {
            return operations.read(endpoint, "/3/0", null).handleAsync((device, error) -> {
                if (error != null) {
                    LOG.debug("model and firmware version of {} not read: {}", endpoint, error.getMessage());
                    return null;
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
                return null;
            }, writer);
        } catch (RuntimeException e) {
            LOG.debug("model and firmware version of {} not read: {}", endpoint, e.getMessage());
            return CompletableFuture.completedFuture(null);
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
