package org.lwm2mfleet.server.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Operations waiting for a sleeping (queue-mode) device (table pending_operations). They run in the order they were
 * asked, one after the other, when the device wakes (registration, update, or any uplink that makes Leshan's
 * presence service call it awake); they survive restarts, can be cancelled, and fail with a reason when they expire.
 * Every change of state is published as an {@code operation} event.
 */
public final class PendingOperations implements org.lwm2mfleet.server.runtime.Lifecycle,
        org.lwm2mfleet.server.device.DeviceDataOwner {

    private static final Logger LOG = LoggerFactory.getLogger(PendingOperations.class);

    /** A pending operation as the API shows it. */
    public record Pending(long id, String endpoint, String operation, String path, String status,
            Instant createdAt, Instant expiresAt, Instant completedAt, Object result, String failure,
            String requestedBy) {
    }

    private final Jdbc jdbc;
    private final OperationDispatcher dispatcher;
    private final EventBus events;
    private final Clock clock;
    private final Duration defaultExpiry;
    private final Set<String> flushing = ConcurrentHashMap.newKeySet();
    /**
     * Does the SQL of this class: the outcome of an operation arrives on a CoAP thread, which must not wait on it.
     * Its own thread rather than the shared scheduler: a device's operations run one after the other on it. The
     * thread starts with the first task, once {@link #start} subscribed. Expiry, a conditional update that may run
     * beside it, is on the shared scheduler.
     */
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("pending-operations"));

    private final org.lwm2mfleet.server.runtime.Scheduler scheduler;
    private final List<AutoCloseable> started = new java.util.ArrayList<>();

    public PendingOperations(Jdbc jdbc, OperationDispatcher dispatcher, EventBus events, Clock clock,
            Duration defaultExpiry, org.lwm2mfleet.server.runtime.Scheduler scheduler) {
        this.jdbc = jdbc;
        this.dispatcher = dispatcher;
        this.events = events;
        this.clock = clock;
        this.defaultExpiry = defaultExpiry;
        this.scheduler = scheduler;
        dispatcher.setPending(this);
    }

    @Override
    public void start() {
        // An operation sent but not answered when the server stopped is sent again: at least once, never lost.
        jdbc.update("UPDATE pending_operations SET status = 'pending' WHERE status = 'sent'");
        started.add(events.subscribe(
                e -> Set.of(EventTypes.AWAKE, EventTypes.REGISTERED, EventTypes.UPDATED).contains(e.type()),
                e -> worker.execute(() -> flush(e.endpoint()))));
        started.add(scheduler.every("pending-operations-expiry", Duration.ofSeconds(1), Duration.ofSeconds(1),
                this::expireQuietly));
    }

    long enqueue(OperationRequest request, Duration expiresIn) {
        Instant now = clock.instant();
        Instant expiresAt = now.plus(expiresIn != null ? expiresIn : defaultExpiry);
        long id = jdbc.insert("INSERT INTO pending_operations (endpoint, operation, path, body, format, status,"
                + " created_at, expires_at, requested_by) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                request.endpoint(), request.operation(), request.path(),
                request.body() == null ? null : request.body().toString(), request.format(), now, expiresAt,
                request.requestedBy());
        LOG.info("operation queued for sleeping device endpoint={} id={} operation={} path={}", request.endpoint(),
                id, request.operation(), request.path());
        publish(id);
        return id;
    }

    public Pending get(long id) {
        return find(id).orElseThrow(() -> FleetException.notFound("no operation " + id));
    }

    public List<Pending> ofDevice(String endpoint) {
        return jdbc.query(SELECT + " WHERE endpoint = ? ORDER BY id", this::map, endpoint);
    }

    public Pending cancel(long id) {
        if (jdbc.update("UPDATE pending_operations SET status = 'cancelled', completed_at = ? WHERE id = ?"
                + " AND status = 'pending'", clock.instant(), id) == 0) {
            Pending pending = get(id);
            throw new FleetException(ProblemType.CONFLICT, null,
                    "operation " + id + " is " + pending.status() + ", only pending operations can be cancelled");
        }
        publish(id);
        return get(id);
    }

    /** Runs the device's pending operations in order, one at a time; stops if the device falls asleep again. */
    void flush(String endpoint) {
        if (!flushing.add(endpoint)) {
            return;
        }
        List<Long> ids = jdbc.query("SELECT id FROM pending_operations WHERE endpoint = ? AND status = 'pending'"
                + " ORDER BY id", row -> row.getLong("id"), endpoint);
        CompletableFuture<Boolean> chain = CompletableFuture.completedFuture(true);
        for (long id : ids) {
            chain = chain.thenComposeAsync(goOn -> goOn ? runOne(id) : CompletableFuture.completedFuture(false),
                    worker);
        }
        chain.whenComplete((done, error) -> {
            flushing.remove(endpoint);
            if (error != null) {
                LOG.warn("pending operations of {} not all run: {}", endpoint, error.getMessage());
            }
        });
    }

    /** @return whether to go on with the next one */
    private CompletableFuture<Boolean> runOne(long id) {
        Instant now = clock.instant();
        // Claim it: only one flush may send it, and not after it expired or was cancelled.
        if (jdbc.update("UPDATE pending_operations SET status = 'sent' WHERE id = ? AND status = 'pending'"
                + " AND expires_at > ?", id, now) == 0) {
            return CompletableFuture.completedFuture(true);
        }
        OperationRequest request = jdbc.queryOne("SELECT endpoint, operation, path, body, format, requested_by"
                + " FROM pending_operations WHERE id = ?", row -> new OperationRequest(row.getString("operation"),
                        row.getString("endpoint"), row.getString("path"), parse(row.getString("body")),
                        row.getString("format"), row.getString("requested_by")), id).orElseThrow();
        CompletableFuture<Map<String, Object>> result;
        try {
            result = dispatcher.run(request);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handleAsync((value, error) -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            if (cause instanceof FleetException fleet && fleet.type() == ProblemType.DEVICE_NOT_REGISTERED) {
                // Asleep again (or gone): back in the queue, in its place.
                jdbc.update("UPDATE pending_operations SET status = 'pending' WHERE id = ?", id);
                return false;
            }
            if (cause == null) {
                jdbc.update("UPDATE pending_operations SET status = 'succeeded', completed_at = ?, result = ?"
                        + " WHERE id = ?", clock.instant(), write(value), id);
            } else {
                jdbc.update("UPDATE pending_operations SET status = 'failed', completed_at = ?, failure = ?"
                        + " WHERE id = ?", clock.instant(), cause.getMessage(), id);
            }
            publish(id);
            return true;
        }, worker);
    }

    /** Fails every pending operation whose time is up, with the reason. */
    void expire() {
        Instant now = clock.instant();
        List<Long> expired = jdbc.query("SELECT id FROM pending_operations WHERE status = 'pending'"
                + " AND expires_at <= ?", row -> row.getLong("id"), now);
        for (long id : expired) {
            if (jdbc.update("UPDATE pending_operations SET status = 'failed', completed_at = ?, failure = ?"
                    + " WHERE id = ? AND status = 'pending'", now,
                    "expired: the device did not wake before " + now, id) == 1) {
                publish(id);
            }
        }
    }

    private void expireQuietly() {
        try {
            expire();
        } catch (RuntimeException e) {
            LOG.warn("pending operation expiry failed, will retry", e);
        }
    }

    private void publish(long id) {
        find(id).ifPresent(pending -> {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("operationId", pending.id());
            data.put("operation", pending.operation());
            data.put("path", pending.path());
            data.put("status", pending.status());
            data.put("result", pending.result());
            data.put("failure", pending.failure());
            events.publish(EventTypes.OPERATION, pending.endpoint(), data);
        });
    }

    private static final String SELECT = "SELECT id, endpoint, operation, path, status, created_at, expires_at,"
            + " completed_at, result, failure, requested_by FROM pending_operations";

    private Optional<Pending> find(long id) {
        return jdbc.queryOne(SELECT + " WHERE id = ?", this::map, id);
    }

    private Pending map(java.sql.ResultSet row) throws java.sql.SQLException {
        String result = row.getString("result");
        return new Pending(row.getLong("id"), row.getString("endpoint"), row.getString("operation"),
                row.getString("path"), row.getString("status"), Jdbc.instant(row, "created_at"),
                Jdbc.instant(row, "expires_at"), Jdbc.instant(row, "completed_at"),
                result == null ? null : parse(result), row.getString("failure"), row.getString("requested_by"));
    }

    private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        if (json == null) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }

    private static String write(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** In the device's deletion transaction: its queued and finished operations go with it. */
    @Override
    public void deleteAllOf(String endpoint) {
        jdbc.update("DELETE FROM pending_operations WHERE endpoint = ?", endpoint);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable part : started) {
            part.close();
        }
        started.clear();
        worker.shutdownNow();
    }
}
