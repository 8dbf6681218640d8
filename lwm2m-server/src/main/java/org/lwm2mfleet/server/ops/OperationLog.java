package org.lwm2mfleet.server.ops;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-device log of operations (table operation_log). Entries are written on a thread of their own: an outcome
 * is known on a CoAP thread, which must not wait on the database.
 */
public final class OperationLog implements org.lwm2mfleet.server.runtime.Lifecycle,
        org.lwm2mfleet.server.device.DeviceDataOwner {

    private static final Logger LOG = LoggerFactory.getLogger(OperationLog.class);

    private final Jdbc jdbc;
    /** Its own thread, not the shared scheduler: entries are written in order. It starts with the first entry. */
    private final ExecutorService writer = Executors.newSingleThreadExecutor(DaemonThreads.named("operation-log"));

    public OperationLog(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Nothing to start: the writer starts with the first entry, and a deleted device's log goes in its deletion. */
    @Override
    public void start() {
    }

    void record(String endpoint, String operation, String target, String requestedBy, Instant requestedAt,
            String outcome, String detail, long latencyMillis) {
        writer.execute(() -> {
            try {
                jdbc.update("INSERT INTO operation_log (endpoint, operation, target, requested_by, requested_at,"
                        + " outcome, detail, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", endpoint, operation,
                        truncate(target, 1024), requestedBy, requestedAt, outcome, truncate(detail, 1024),
                        latencyMillis);
            } catch (RuntimeException e) {
                LOG.warn("operation log entry lost endpoint={} operation={}", endpoint, operation, e);
            }
        });
    }

    /** Newest first; {@code before} is the id cursor of the previous page, or null. */
    public List<OperationRecord> list(String endpoint, Long before, int limit) {
        return jdbc.query("SELECT id, endpoint, operation, target, requested_by, requested_at, outcome, detail,"
                + " latency_ms FROM operation_log WHERE endpoint = ? AND id < ? ORDER BY id DESC LIMIT ?",
                row -> new OperationRecord(row.getLong("id"), row.getString("endpoint"), row.getString("operation"),
                        row.getString("target"), row.getString("requested_by"), Jdbc.instant(row, "requested_at"),
                        row.getString("outcome"), row.getString("detail"), row.getLong("latency_ms")),
                endpoint, before == null ? Long.MAX_VALUE : before, limit);
    }

    /**
     * In the device's deletion transaction. Entries already handed to the writer are stored first, so that none of
     * them lands after the delete.
     */
    @Override
    public void deleteAllOf(String endpoint) {
        try {
            flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while storing the operation log of " + endpoint, e);
        }
        jdbc.update("DELETE FROM operation_log WHERE endpoint = ?", endpoint);
    }

    /** Waits for entries already handed over; for tests and shutdown. */
    public void flush() throws InterruptedException {
        java.util.concurrent.Future<?> done = writer.submit(() -> null);
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        writer.shutdown();
        writer.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static String truncate(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }
}
