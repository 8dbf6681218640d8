package org.lwm2mfleet.server.firmware;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.server.runtime.DaemonThreads;

import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.ops.DeviceOperations;
import org.lwm2mfleet.server.store.Dialect;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each device is and runs: model number (/3/0/1) and firmware version (/3/0/3), read from the device when it
 * registers (one read of /3/0) and kept in table device_firmware. Campaigns select devices by them; the fleet's
 * firmware versions are counted from them. A registration reads them only when they are unknown or older than the
 * configured age (an update through the server records the new version itself), so a fleet reconnecting after an
 * outage is not read again; at most {@value #MAX_IN_FLIGHT} reads are out at once; and while registrations arrive
 * faster than the storm rate, reads wait (up to {@link #MAX_STORM_DELAY}) for the storm to pass, so that a fleet
 * coming online is not slowed by a second round trip per device (a DTLS exchange, decoded and logged, for server
 * and device alike; see bench register-storm in docs/benchmarks.md).
 */
public final class FirmwareInventory implements org.lwm2mfleet.server.runtime.Lifecycle,
        org.lwm2mfleet.server.device.DeviceDataOwner {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareInventory.class);
    static final int MAX_IN_FLIGHT = 16;
    /** Seconds over which registrations are counted to tell a storm from ordinary traffic. */
    static final int STORM_WINDOW_SECONDS = 10;
    /** The start of a storm is judged over this many seconds (see {@link #isStorm}). */
    static final int STORM_ONSET_SECONDS = 2;
    /** The longest a read waits for a storm to pass: the inventory is not held back for good by a busy fleet. */
    static final Duration MAX_STORM_DELAY = Duration.ofMinutes(1);

    private final Jdbc jdbc;
    private final DeviceOperations operations;
    private final Clock clock;
    private final Duration maxAge;
    /**
     * The outcome of a read arrives on a CoAP thread, which must not wait on the database. Its own thread, not the
     * shared scheduler: the waiting list and the storm counts are confined to it. It starts once {@link #start} ran.
     */
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("firmware-inventory"));
    /** Devices waiting for a read, in registration order, each once, with when they started waiting. */
    private final Map<String, Instant> waiting = new LinkedHashMap<>();
    private final EventBus events;
    private final List<AutoCloseable> subscriptions = new java.util.ArrayList<>();
    private int inFlight;
    private final int stormRate;
    /** Registrations per clock second, in a ring of {@value #STORM_WINDOW_SECONDS} seconds. */
    private final long[] countedSecond = new long[STORM_WINDOW_SECONDS];
    private final int[] registrations = new int[STORM_WINDOW_SECONDS];
    private boolean recheckScheduled;

    /**
     * @param maxAge how old a device's facts may be before its registration reads them again (zero: always)
     * @param stormRate registrations per second (over the window) above which reads wait for the storm to pass
     */
    public FirmwareInventory(Jdbc jdbc, DeviceOperations operations, EventBus events, Clock clock, Duration maxAge,
            int stormRate) {
        this.jdbc = jdbc;
        this.operations = operations;
        this.clock = clock;
        this.maxAge = maxAge;
        this.stormRate = stormRate;
        this.events = events;
    }

    @Override
    public void start() {
        subscriptions.add(events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()),
                e -> writer.execute(() -> registered(e.endpoint()))));
    }

    // Runs on the writer thread, as does everything that touches waiting, inFlight and the registration counts.
    private void registered(String endpoint) {
        Instant now = clock.instant();
        countRegistration(now);
        Instant readAt = jdbc.queryOne("SELECT read_at FROM device_firmware WHERE endpoint = ?",
                row -> Jdbc.instant(row, "read_at"), endpoint).orElse(null);
        if (readAt != null && !maxAge.isZero() && readAt.plus(maxAge).isAfter(now)) {
            return;
        }
        waiting.putIfAbsent(endpoint, now);
        startReads();
    }

    private void startReads() {
        Instant now = clock.instant();
        boolean storm = isStorm(now);
        while (inFlight < MAX_IN_FLIGHT && !waiting.isEmpty()) {
            var next = waiting.entrySet().iterator();
            Map.Entry<String, Instant> oldest = next.next();
            if (storm && oldest.getValue().plus(MAX_STORM_DELAY).isAfter(now)) {
                recheckInASecond();
                return;
            }
            String endpoint = oldest.getKey();
            next.remove();
            inFlight++;
            read(endpoint).whenCompleteAsync((ignored, error) -> {
                inFlight--;
                startReads();
            }, writer);
        }
    }

    private void recheckInASecond() {
        if (!recheckScheduled) {
            recheckScheduled = true;
            writer.schedule(() -> {
                recheckScheduled = false;
                startReads();
            }, 1, TimeUnit.SECONDS);
        }
    }

    private void countRegistration(Instant now) {
        long second = now.getEpochSecond();
        int slot = (int) Math.floorMod(second, (long) STORM_WINDOW_SECONDS);
        if (countedSecond[slot] != second) {
            countedSecond[slot] = second;
            registrations[slot] = 0;
        }
        registrations[slot]++;
    }

    /**
     * Above the rate over the whole window, or over its last {@value #STORM_ONSET_SECONDS} seconds: a storm is seen
     * after a few dozen registrations instead of a full window's worth (each of which would still be read), and is
     * over only when the whole window is quiet enough.
     */
    private boolean isStorm(Instant now) {
        return registrationsIn(now, STORM_WINDOW_SECONDS) > stormRate * STORM_WINDOW_SECONDS
                || registrationsIn(now, STORM_ONSET_SECONDS) > stormRate * STORM_ONSET_SECONDS;
    }

    private int registrationsIn(Instant now, int seconds) {
        long second = now.getEpochSecond();
        int total = 0;
        for (int slot = 0; slot < STORM_WINDOW_SECONDS; slot++) {
            long age = second - countedSecond[slot];
            if (age >= 0 && age < seconds) {
                total += registrations[slot];
            }
        }
        return total;
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
        // An unknown model (null) keeps the one read before.
        if (jdbc.dialect() == Dialect.POSTGRESQL) {
            jdbc.update("INSERT INTO device_firmware (endpoint, model, version, read_at) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT (endpoint) DO UPDATE SET model = COALESCE(EXCLUDED.model, device_firmware.model),"
                    + " version = EXCLUDED.version, read_at = EXCLUDED.read_at", endpoint, model, version,
                    clock.instant());
            return;
        }
        jdbc.update("MERGE INTO device_firmware (endpoint, model, version, read_at) KEY (endpoint)"
                + " VALUES (?, COALESCE(?, (SELECT model FROM device_firmware WHERE endpoint = ?)), ?, ?)", endpoint,
                model, endpoint, version, clock.instant());
    }

    /** Endpoints whose model and/or version match (null: any). */
    public List<String> select(String model, String version) {
        // Conditions only for what is given: "? IS NULL" with a null parameter has no type on PostgreSQL.
        StringBuilder sql = new StringBuilder("SELECT endpoint FROM device_firmware WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (model != null) {
            sql.append(" AND model = ?");
            params.add(model);
        }
        if (version != null) {
            sql.append(" AND version = ?");
            params.add(version);
        }
        return jdbc.query(sql.append(" ORDER BY endpoint").toString(), row -> row.getString("endpoint"),
                params.toArray());
    }

    /** In the device's deletion transaction: what it reported of its firmware goes (its update history stays). */
    @Override
    public void deleteAllOf(String endpoint) {
        jdbc.update("DELETE FROM device_firmware WHERE endpoint = ?", endpoint);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable subscription : subscriptions) {
            subscription.close();
        }
        subscriptions.clear();
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
