package org.lwm2mfleet.server.device;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;

/**
 * {@code GET /api/v1/fleet/stats}: what the console's overview shows, read-only. Device counts by status come from
 * the registry; registrations per 10 minutes and the latest authentication failures are counted from the event bus
 * in memory, since the server started (they are not stored). So are, per minute over the last hour, new
 * registrations (not updates) and full DTLS handshakes: a rise in either is a reconnect storm coming.
 */
public final class FleetStatsResource implements org.lwm2mfleet.server.runtime.Lifecycle {

    static final Duration BUCKET = Duration.ofMinutes(10);
    static final int MAX_HOURS = 48;
    static final int KEPT_FAILURES = 50;

    private final DeviceService devices;
    private final Clock clock;
    private final Instant startedAt;
    /** Registrations per bucket start (epoch seconds). */
    private final ConcurrentSkipListMap<Long, AtomicLong> registrations = new ConcurrentSkipListMap<>();
    private final Deque<FleetEvent> failures = new ArrayDeque<>();
    /** New registrations per minute, the last hour; full handshakes are counted in DeviceSessions. */
    private final MinuteCounts registrationsPerMinute = new MinuteCounts();

    private final EventBus events;
    private final java.util.List<AutoCloseable> subscriptions = new java.util.ArrayList<>();

    public FleetStatsResource(DeviceService devices, EventBus events, Clock clock) {
        this.devices = devices;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.events = events;
    }

    /** Counts registrations and failed handshakes from now on. */
    @Override
    public void start() {
        subscriptions.add(events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()), this::registered));
        subscriptions.add(events.subscribe(e -> EventTypes.AUTHENTICATION_FAILED.equals(e.type()), this::failed));
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable subscription : subscriptions) {
            subscription.close();
        }
        subscriptions.clear();
    }

    public void register(Router router) {
        router.get("/api/v1/fleet/stats", this::stats);
    }

    private void registered(FleetEvent event) {
        long bucket = bucketStart(event.at());
        registrations.computeIfAbsent(bucket, b -> new AtomicLong()).incrementAndGet();
        registrationsPerMinute.increment(event.at());
        registrations.headMap(bucket - Duration.ofHours(MAX_HOURS).toSeconds()).clear();
    }

    private void failed(FleetEvent event) {
        synchronized (failures) {
            failures.addFirst(event);
            while (failures.size() > KEPT_FAILURES) {
                failures.removeLast();
            }
        }
    }

    private static long bucketStart(Instant at) {
        long seconds = at.getEpochSecond();
        return seconds - Math.floorMod(seconds, BUCKET.toSeconds());
    }

    /**
     * {@code ?hours=6} (1–48): how far back the registration buckets go; {@code ?minutes=15} (1–60): how many minutes
     * of the per-minute counts, the current (partial) minute last.
     */
    private void stats(Exchange exchange) {
        int hours = exchange.queryInt("hours", 6);
        if (hours < 1 || hours > MAX_HOURS) {
            throw FleetException.invalid("hours", "from 1 to " + MAX_HOURS);
        }
        int minutes = exchange.queryInt("minutes", 15);
        if (minutes < 1 || minutes > MinuteCounts.MINUTES) {
            throw FleetException.invalid("minutes", "from 1 to " + MinuteCounts.MINUTES);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        Map<String, Object> counts = new LinkedHashMap<>();
        long total = 0;
        for (Map.Entry<DeviceStatus, Long> count : devices.countByStatus().entrySet()) {
            counts.put(count.getKey().name().toLowerCase(Locale.ROOT), count.getValue());
            total += count.getValue();
        }
        counts.put("total", total);
        body.put("devices", counts);

        long now = bucketStart(clock.instant());
        long first = now - (hours * 3600L / BUCKET.toSeconds() - 1) * BUCKET.toSeconds();
        List<Map<String, Object>> buckets = new ArrayList<>();
        for (long start = first; start <= now; start += BUCKET.toSeconds()) {
            AtomicLong count = registrations.get(start);
            Map<String, Object> bucket = new LinkedHashMap<>();
            bucket.put("from", Instant.ofEpochSecond(start));
            bucket.put("count", count == null ? 0 : count.get());
            buckets.add(bucket);
        }
        body.put("registrations", Map.of("bucket", BUCKET.toString(), "since", startedAt, "buckets", buckets));

        long thisMinute = Math.floorDiv(clock.instant().getEpochSecond(), 60) * 60;
        List<Map<String, Object>> perMinute = new ArrayList<>();
        for (long start = thisMinute - (minutes - 1) * 60L; start <= thisMinute; start += 60) {
            Map<String, Object> minute = new LinkedHashMap<>();
            minute.put("from", Instant.ofEpochSecond(start));
            minute.put("registrations", registrationsPerMinute.get(start));
            minute.put("fullHandshakes", devices.sessions().fullHandshakes(start));
            perMinute.add(minute);
        }
        body.put("perMinute", Map.of("since", startedAt, "minutes", perMinute));

        List<Map<String, Object>> recent = new ArrayList<>();
        synchronized (failures) {
            for (FleetEvent failure : failures) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("at", failure.at());
                item.put("endpoint", failure.endpoint());
                item.putAll(failure.data());
                recent.add(item);
            }
        }
        body.put("authenticationFailures", recent);
        exchange.json(200, body);
    }
}
