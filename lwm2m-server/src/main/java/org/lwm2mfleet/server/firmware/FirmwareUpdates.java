package org.lwm2mfleet.server.firmware;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.function.Function;

import org.eclipse.leshan.server.registration.Registration;
import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.lwm2mfleet.server.ops.DeviceOperations;
import org.lwm2mfleet.server.runtime.Requester;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Updates one device's firmware over object 5, pull mode: writes Package URI with a download link issued for that
 * device, follows State and Update Result by observing them, executes Update when the image is downloaded, and calls
 * it a success only when the device registers again reporting the image's version in /3/0/3 (or says Update Result
 * 1 and then reports it). Every transition is stored with its time and published as a {@code firmware} event. The
 * work runs on the room's own thread: notifications arrive on CoAP threads.
 */
public final class FirmwareUpdates implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareUpdates.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String STATE = "/5/0/3";
    private static final String RESULT = "/5/0/5";

    /** Update Result codes of object 5, as a person should read them. */
    static final Map<Integer, String> RESULTS = Map.of(0, "initial", 1, "firmware updated successfully", 2,
            "not enough flash memory for the new package", 3, "out of RAM during download", 4,
            "connection lost during download", 5, "integrity check failure", 6, "unsupported package type", 7,
            "invalid URI", 8, "firmware update failed", 9, "unsupported protocol");

    /** One device's update as the API shows it. */
    public record Update(long id, String endpoint, long imageId, String status, Integer updateResult,
            String failure, Instant startedAt, Instant changedAt) {
    }

    private final Jdbc jdbc;
    private final FirmwareImages images;
    private final DeviceService devices;
    private final DeviceOperations operations;
    private final EventBus events;
    private final Clock clock;
    private final java.util.function.BiFunction<Registration, String, String> downloadBase;
    private final Function<String, Registration> registrationOf;
    /**
     * Its own thread, not the shared scheduler: an update's transitions (notifications, registrations, the stall
     * check) are handled one at a time, in order. It starts with the first task, once {@link #start} ran.
     */
    private final ScheduledExecutorService worker = Executors
            .newSingleThreadScheduledExecutor(DaemonThreads.named("firmware"));
    private final java.util.List<AutoCloseable> subscriptions = new java.util.ArrayList<>();
    private final Duration stallTimeout;
    /** Whether a device is registered and awake. */
    private final java.util.function.Predicate<String> reachable;
    /**
     * Updates whose delivery (observe, read, write of the link or push) this process has under way: a device that
     * registers meanwhile is not taken for one whose delivery a stopped server left half done.
     */
    private final java.util.Set<Long> delivering = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** When this server started: the stall timeout counts only time in which the server could have listened. */
    private final Instant upSince;

    /**
     * @param downloadBase {@code coap://host:port} or {@code coaps://host:port} of this server for a registration and
     *        a scheme
     */
    public FirmwareUpdates(Jdbc jdbc, FirmwareImages images, DeviceService devices, DeviceOperations operations,
            EventBus events, Clock clock, java.util.function.BiFunction<Registration, String, String> downloadBase,
            Function<String, Registration> registrationOf, Duration stallTimeout,
            java.util.function.Predicate<String> reachable) {
        this.stallTimeout = stallTimeout;
        this.reachable = reachable;
        this.jdbc = jdbc;
        this.images = images;
        this.devices = devices;
        this.operations = operations;
        this.events = events;
        this.clock = clock;
        this.downloadBase = downloadBase;
        this.registrationOf = registrationOf;
        this.upSince = clock.instant();
    }

    @Override
    public void start() {
        // Only notifications of State or Update Result concern an update: the others (nearly all of them, on the
        // reporting hot path) are not even handed to this room's thread.
        subscriptions.add(events.subscribe(e -> EventTypes.NOTIFICATION.equals(e.type()) && aboutObject5(e),
                e -> worker.execute(() -> onNotification(e))));
        subscriptions.add(events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()),
                e -> worker.execute(() -> onRegistered(e))));
        long period = Math.max(1, Math.min(30, stallTimeout.toSeconds() / 2));
        worker.scheduleWithFixedDelay(this::failStalled, period, period, TimeUnit.SECONDS);
    }

    /** Starts updating a registered device to an image. */
    public Update start(String endpoint, long imageId) {
        devices.get(endpoint);
        FirmwareImage image = images.get(imageId);
        Registration registration = registrationOf.apply(endpoint);
        if (registration == null) {
            throw new FleetException(ProblemType.DEVICE_NOT_REGISTERED, null,
                    "device '" + endpoint + "' is not registered");
        }
        if (!reachable.test(endpoint)) {
            throw new FleetException(ProblemType.DEVICE_NOT_REGISTERED, null, "device '" + endpoint
                    + "' is asleep (queue mode): an update starts only while it is awake; a campaign waits for it");
        }
        if (active(endpoint).isPresent()) {
            throw new FleetException(ProblemType.CONFLICT, null, "device '" + endpoint + "' is already updating");
        }
        String token = HexFormat.of().formatHex(random());
        Instant now = clock.instant();
        long id = jdbc.insert("INSERT INTO firmware_updates (endpoint, image_id, status, token, started_at,"
                + " changed_at) VALUES (?, ?, 'pending', ?, ?, ?)", endpoint, imageId, token, now, now);
        record(id, "pending", "image " + image.name() + " " + image.version());
        String query = "?sha256=" + image.sha256() + "&version=" + image.version();
        // Observe State and Update Result first, so that no transition is missed; then read the device's object 5
        // to choose the delivery: push (Block1 write of Package) for a push-only device (/5/0/9 = 1), else the
        // download link in Package URI, over a protocol the device supports (/5/0/8).
        // The operation log names who asked: the delivery is the caller's (an operator, a token, a campaign's
        // server), the observations and reads the update needs for itself are the server's. Each step says so
        // itself, since the steps run on whichever thread completed the one before.
        String caller = Requester.current();
        delivering.add(id);
        Requester.as(Requester.SERVER, () -> operations.observe(endpoint, List.of(STATE), null, null))
                .thenCompose(x -> Requester.as(Requester.SERVER,
                        () -> operations.observe(endpoint, List.of(RESULT), null, null)))
                .thenCompose(x -> Requester.as(Requester.SERVER, () -> operations.read(endpoint, "/5/0", null))
                        .handle((object5, error) -> error == null ? object5 : Map.<String, Object>of()))
                .thenCompose(object5 -> Requester.as(caller, () -> {
                    if (Integer.valueOf(1).equals(intValue(object5, "/5/0/9"))) {
                        worker.execute(() -> move(get(id), "downloading", "pushing the image (Block1)"));
                        return operations.writeBytes(endpoint, "/5/0/0", images.bytes(imageId));
                    }
                    String scheme = scheme(registration, supportedProtocols(object5));
                    String uri = downloadBase.apply(registration, scheme) + "/fw/" + token + query;
                    return operations.write(endpoint, "/5/0/1", Json.MAPPER.createObjectNode().put("value", uri),
                            false, null);
                }))
                .whenCompleteAsync((x, error) -> {
                    delivering.remove(id);
                    if (error != null) {
                        fail(id, endpoint, "could not start: " + cause(error).getMessage(), null);
                    } else {
                        LOG.info("firmware update started endpoint={} update={} image={}", endpoint, id, imageId);
                    }
                }, worker);
        return get(id);
    }

    /** The registration's own scheme if the device can download with it, else the other one it supports. */
    private static String scheme(Registration registration, java.util.Set<Integer> supported) {
        String registered = registration.getEndpointUri().getScheme();
        int code = registered.equals("coaps") ? 1 : 0;
        if (supported == null || supported.contains(code)) {
            return registered;
        }
        if (code == 1 && supported.contains(0)) {
            // The link of a DTLS device is served over DTLS only (DownloadResource): a coap:// link would be refused.
            throw new FleetException(ProblemType.DEVICE_REFUSED, null, "the device registered over DTLS but"
                    + " downloads only over plain CoAP (Firmware Update Protocol Support is " + supported
                    + "); its download link is served over CoAPS only");
        }
        if (supported.contains(1 - code)) {
            return code == 1 ? "coap" : "coaps";
        }
        throw new FleetException(ProblemType.DEVICE_REFUSED, null, "the device downloads with none of CoAP (0) and"
                + " CoAPS (1): Firmware Update Protocol Support is " + supported);
    }

    /** /5/0/8 as a set of protocol codes, or null when the device does not say. */
    private static java.util.Set<Integer> supportedProtocols(Map<String, Object> object5) {
        Map<?, ?> resource = resource(object5, "/5/0/8");
        if (resource == null || !(resource.get("values") instanceof Map<?, ?> values)) {
            return null;
        }
        java.util.Set<Integer> codes = new java.util.HashSet<>();
        values.values().forEach(v -> codes.add(((Number) v).intValue()));
        return codes;
    }

    private static Integer intValue(Map<String, Object> object5, String path) {
        Map<?, ?> resource = resource(object5, path);
        return resource != null && resource.get("value") instanceof Number n ? n.intValue() : null;
    }

    private static Map<?, ?> resource(Map<String, Object> object5, String path) {
        if (!(object5.get("resources") instanceof List<?> resources)) {
            return null;
        }
        for (Object resource : resources) {
            if (resource instanceof Map<?, ?> map && path.equals(map.get("path"))) {
                return map;
            }
        }
        return null;
    }

    public Update get(long id) {
        return jdbc.queryOne(SELECT + " WHERE id = ?", FirmwareUpdates::map, id)
                .orElseThrow(() -> FleetException.notFound("no firmware update " + id));
    }

    public List<Update> ofDevice(String endpoint) {
        return jdbc.query(SELECT + " WHERE endpoint = ? ORDER BY id DESC", FirmwareUpdates::map, endpoint);
    }

    public List<Map<String, Object>> history(long id) {
        get(id);
        return jdbc.query("SELECT at, status, detail FROM firmware_update_events WHERE update_id = ? ORDER BY at",
                row -> {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("at", Jdbc.instant(row, "at"));
                    json.put("status", row.getString("status"));
                    json.put("detail", row.getString("detail"));
                    return json;
                }, id);
    }

    /**
     * What a download token gives access to, while its update is under way: the device and the image's file. No image
     * byte is read here; the download resource reads one block at a time, after checking who asks.
     */
    public Optional<DownloadResource.Grant> grantForToken(String token) {
        return jdbc.queryOne("SELECT u.endpoint, i.sha256, i.size_bytes FROM firmware_updates u"
                + " JOIN firmware_images i ON i.id = u.image_id WHERE u.token = ? AND u.status IN"
                + " ('pending', 'downloading')", row -> new DownloadResource.Grant(row.getString("endpoint"),
                        images.fileOf(row.getString("sha256")), row.getLong("size_bytes")), token);
    }

    private static boolean aboutObject5(FleetEvent event) {
        for (Object point : (List<?>) event.data().getOrDefault("points", List.of())) {
            Object path = ((Map<?, ?>) point).get("path");
            if (STATE.equals(path) || RESULT.equals(path)) {
                return true;
            }
        }
        return false;
    }

    private void onNotification(FleetEvent event) {
        Optional<Update> update = active(event.endpoint());
        if (update.isEmpty()) {
            return;
        }
        for (Object point : (List<?>) event.data().getOrDefault("points", List.of())) {
            Map<?, ?> p = (Map<?, ?>) point;
            Object value = p.get("value");
            if (!(value instanceof Number number)) {
                continue;
            }
            if (STATE.equals(p.get("path"))) {
                onState(update.get(), number.intValue());
            } else if (RESULT.equals(p.get("path"))) {
                onResult(update.get(), number.intValue());
            }
        }
    }

    private void onState(Update update, int state) {
        switch (state) {
        case 1 -> move(update, "downloading", "State 1: downloading");
        case 2 -> {
            move(update, "downloaded", "State 2: downloaded");
            // Also from 'downloaded' itself: a server stopped between the two steps executes Update after its restart.
            if (move(update, "updating", "Update executed")) {
                operations.execute(update.endpoint(), "/5/0/2", null).whenCompleteAsync((x, error) -> {
                    // A device may reboot before its answer leaves: no answer is not a failure, the registration
                    // (or the stall timeout) decides. A refusal is.
                    if (error != null && !(cause(error) instanceof FleetException fleet
                            && fleet.type() == ProblemType.DEVICE_TIMEOUT)) {
                        fail(update.id(), update.endpoint(), "Update could not be executed: "
                                + cause(error).getMessage(), null);
                    }
                }, worker);
            }
        }
        case 3 -> move(update, "updating", "State 3: updating");
        default -> {
        }
        }
    }

    private void onResult(Update update, int result) {
        if (result == 1 && update.status().equals("updating")) {
            confirm(update, false); // the device says it is done: check the version it now reports
        }
        if (result >= 2) {
            fail(update.id(), update.endpoint(), "Update Result " + result + ": " + RESULTS.get(result), result);
        }
    }

    /**
     * After a reboot the device registers again: its /3/0/3 says whether the new firmware runs. A device that
     * registers earlier in an update (after a restart of this server, which forgets registrations) may have moved on
     * while nobody listened: its object 5 says where it is.
     */
    private void onRegistered(FleetEvent event) {
        active(event.endpoint()).ifPresent(u -> {
            if (u.status().equals("updating")) {
                confirm(u, true);
            } else if (!delivering.contains(u.id()) && u.startedAt().isBefore(upSince)) {
                // Only an update a previous run of the server started can have missed its transitions: one this
                // process started is followed by its own observations (reading object 5 now would race the Package
                // URI write still on its way, and fail a delivery that is going well).
                reconcile(u);
            }
        });
    }

    /**
     * Reads State, Update Result and Package URI and takes up the update from there, instead of waiting for
     * notifications of transitions that already happened: Downloaded executes Update, Downloading or Updating are
     * followed, a failure this update caused fails it (a campaign retries), and an idle device that never got the
     * link or the image (the server stopped in the middle of the delivery) fails it too. A device that cannot be
     * read is left to its notifications and the stall timeout.
     */
    private void reconcile(Update update) {
        String token = jdbc.queryOne("SELECT token FROM firmware_updates WHERE id = ?", row -> row.getString("token"),
                update.id()).orElse("");
        CompletableFuture<Map<String, Object>> read;
        try {
            read = Requester.as(Requester.SERVER, () -> operations.read(update.endpoint(), "/5/0", null));
        } catch (FleetException e) {
            LOG.info("firmware update not reconciled endpoint={} update={} reason={}", update.endpoint(), update.id(),
                    e.getMessage());
            return;
        }
        read.whenCompleteAsync((object5, error) -> {
            Update current = get(update.id());
            Integer state = error == null ? intValue(object5, STATE) : null;
            if (state == null || current.status().equals("succeeded") || current.status().equals("failed")) {
                if (error != null) {
                    LOG.info("firmware update not reconciled endpoint={} update={} reason={}", update.endpoint(),
                            update.id(), cause(error).getMessage());
                }
                return;
            }
            Integer result = intValue(object5, RESULT);
            Map<?, ?> uri = resource(object5, "/5/0/1");
            boolean linkWritten = uri != null && String.valueOf(uri.get("value")).contains("/fw/" + token);
            LOG.info("firmware update reconciled endpoint={} update={} status={} state={} result={}",
                    update.endpoint(), update.id(), current.status(), state, result);
            if (state != 0) {
                onState(current, state);
            } else if (linkWritten && result != null && result >= 2) {
                onResult(current, result);
            } else if (!linkWritten) {
                fail(update.id(), update.endpoint(), "the device is idle (State 0, Update Result " + result
                        + ") without this update's image or link: the delivery was interrupted", null);
            }
        }, worker);
    }

    /**
     * Success when /3/0/3 reports the image's version. After a registration another version is a failure (the
     * device rebooted into the old firmware); after Update Result 1 it may just not have rebooted yet, so the
     * registration decides.
     */
    private void confirm(Update update, boolean registeredAgain) {
        FirmwareImage image = images.get(update.imageId());
        operations.read(update.endpoint(), "/3/0/3", null).whenCompleteAsync((value, error) -> {
            String version = error == null ? String.valueOf(value.get("value")) : null;
            if (image.version().equals(version)) {
                if (get(update.id()).status().equals("updating")) {
                    finish(update, version); // once, whether the result or the registration came first
                }
            } else if (registeredAgain) {
                fail(update.id(), update.endpoint(), error != null
                        ? "firmware version unreadable after reboot: " + cause(error).getMessage()
                        : "device reports version " + version + " after the update, not " + image.version(), null);
            }
        }, worker);
    }

    /** Fails every update whose device has been in the same state for longer than the stall timeout. */
    private void failStalled() {
        try {
            Instant limit = clock.instant().minus(stallTimeout);
            if (!upSince.isBefore(limit)) {
                return; // not up for a whole stall timeout yet: devices may not have told this server anything
            }
            for (Update update : jdbc.query(SELECT + " WHERE status NOT IN ('succeeded', 'failed') AND changed_at < ?",
                    FirmwareUpdates::map, limit)) {
                fail(update.id(), update.endpoint(), "stalled in " + update.status() + " for more than " + stallTimeout,
                        null);
            }
        } catch (RuntimeException e) {
            LOG.warn("stall check failed, will retry", e);
        }
    }

    private FirmwareInventory inventory;

    public void setInventory(FirmwareInventory inventory) {
        this.inventory = inventory;
    }

    private void finish(Update update, String version) {
        if (inventory != null) {
            inventory.record(update.endpoint(), null, version);
        }
        jdbc.update("UPDATE firmware_updates SET status = 'succeeded', update_result = 1, changed_at = ? WHERE id = ?",
                clock.instant(), update.id());
        record(update.id(), "succeeded", "device runs version " + version);
        stopObserving(update.endpoint());
        LOG.info("firmware update succeeded endpoint={} update={} version={}", update.endpoint(), update.id(),
                version);
    }

    private void fail(long id, String endpoint, String reason, Integer result) {
        if (jdbc.update("UPDATE firmware_updates SET status = 'failed', failure = ?, update_result = ?, changed_at = ?"
                + " WHERE id = ? AND status NOT IN ('succeeded', 'failed')", reason, result, clock.instant(), id) == 1) {
            record(id, "failed", reason);
            stopObserving(endpoint);
            LOG.warn("firmware update failed endpoint={} update={} reason={}", endpoint, id, reason);
        }
    }

    /** Moves forward only (a late notification never moves an update back). @return whether it moved */
    private boolean move(Update update, String status, String detail) {
        List<String> order = List.of("pending", "downloading", "downloaded", "updating");
        String current = get(update.id()).status();
        if (!order.contains(current) || order.indexOf(status) <= order.indexOf(current)) {
            return false;
        }
        jdbc.update("UPDATE firmware_updates SET status = ?, changed_at = ? WHERE id = ?", status, clock.instant(),
                update.id());
        record(update.id(), status, detail);
        return true;
    }

    private void record(long id, String status, String detail) {
        jdbc.update("INSERT INTO firmware_update_events (update_id, at, status, detail) VALUES (?, ?, ?, ?)", id,
                clock.instant(), status, detail);
        Update update = get(id);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("updateId", id);
        data.put("imageId", update.imageId());
        data.put("status", status);
        data.put("detail", detail);
        events.publish(EventTypes.FIRMWARE, update.endpoint(), data);
    }

    private void stopObserving(String endpoint) {
        for (String path : List.of(STATE, RESULT)) {
            try {
                operations.cancelObservation(endpoint, List.of(path));
            } catch (FleetException notObserved) {
                // already gone
            }
        }
    }

    private Optional<Update> active(String endpoint) {
        return jdbc.queryOne(SELECT + " WHERE endpoint = ? AND status NOT IN ('succeeded', 'failed')"
                + " ORDER BY id DESC LIMIT 1", FirmwareUpdates::map, endpoint);
    }

    private static final String SELECT = "SELECT id, endpoint, image_id, status, update_result, failure, started_at,"
            + " changed_at FROM firmware_updates";

    private static Update map(java.sql.ResultSet row) throws java.sql.SQLException {
        int result = row.getInt("update_result");
        return new Update(row.getLong("id"), row.getString("endpoint"), row.getLong("image_id"),
                row.getString("status"), row.wasNull() ? null : result, row.getString("failure"),
                Jdbc.instant(row, "started_at"), Jdbc.instant(row, "changed_at"));
    }

    private static byte[] random() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static Throwable cause(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable subscription : subscriptions) {
            subscription.close();
        }
        subscriptions.clear();
        worker.shutdownNow();
    }
}
