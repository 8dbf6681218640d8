package org.lwm2mfleet.server.telemetry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;


import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Stores points in batches, on its own thread, so that a burst of notifications never makes a CoAP thread wait on
 * the database. A batch is written when it holds {@code batchSize} points or {@code maxDelay} has passed since its
 * first point. The backlog is bounded: when it is full, points are dropped, counted and logged, never buffered
 * without limit.
 */
public final class TelemetryWriter implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(TelemetryWriter.class);
    public static final String THREAD_NAME = "telemetry-writer";

    private final TelemetryStore store;
    private final BlockingQueue<TelemetryPoint> backlog;
    private final int batchSize;
    private final Duration maxDelay;
    private final Counter stored;
    private final Counter dropped;
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    /** Why the last batch was lost, or null when it was stored: what {@code /health} reports. */
    private volatile String lastFailure;

    /** On the H2 store, as before stores were chosen per database. */
    public TelemetryWriter(Jdbc jdbc, int capacity, int batchSize, Duration maxDelay, MeterRegistry meters) {
        this(new H2TelemetryStore(jdbc), capacity, batchSize, maxDelay, meters);
    }

    public TelemetryWriter(TelemetryStore store, int capacity, int batchSize, Duration maxDelay,
            MeterRegistry meters) {
        this.store = store;
        this.backlog = new ArrayBlockingQueue<>(capacity);
        this.batchSize = batchSize;
        this.maxDelay = maxDelay;
        this.stored = meters.counter("telemetry.points.stored");
        this.dropped = meters.counter("telemetry.points.dropped");
        meters.gauge("telemetry.backlog", backlog, BlockingQueue::size);
        // Its own thread, not the shared scheduler: it blocks on the backlog and writes batches in order.
        this.thread = DaemonThreads.named(THREAD_NAME).newThread(this::run);
    }

    @Override
    public void start() {
        thread.start();
    }

    /** Hands points over without waiting; returns how many had to be dropped because the backlog is full. */
    public int offer(List<TelemetryPoint> points) {
        int lost = 0;
        for (TelemetryPoint point : points) {
            if (!backlog.offer(point)) {
                lost++;
            }
        }
        if (lost > 0) {
            dropped.increment(lost);
            droppedSinceLog.addAndGet(lost);
        }
        return lost;
    }

    private void run() {
        List<TelemetryPoint> batch = new ArrayList<>(batchSize);
        while (running || !backlog.isEmpty()) {
            try {
                TelemetryPoint first = backlog.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    reportDrops();
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + maxDelay.toNanos();
                while (batch.size() < batchSize) {
                    long left = deadline - System.nanoTime();
                    TelemetryPoint next = left > 0 ? backlog.poll(left, TimeUnit.NANOSECONDS) : backlog.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                    backlog.drainTo(batch, batchSize - batch.size());
                }
                write(batch);
                reportDrops();
            } catch (InterruptedException e) {
                running = false;
            } catch (RuntimeException e) {
                lastFailure = "the last batch of " + batch.size() + " points was lost: " + e.getMessage();
                LOG.error("telemetry batch of {} points lost", batch.size(), e);
            } finally {
                batch.clear();
            }
        }
    }

    /** One transaction per batch, however the store writes it. */
    private void write(List<TelemetryPoint> batch) {
        store.write(batch);
        stored.increment(batch.size());
        lastFailure = null;
    }

    /** Down when its thread has died or its last batch could not be stored. */
    public org.lwm2mfleet.server.api.Health health() {
        if (!thread.isAlive() && running) {
            return org.lwm2mfleet.server.api.Health.down("the writer thread has stopped");
        }
        String failure = lastFailure;
        return failure == null ? org.lwm2mfleet.server.api.Health.ok() : org.lwm2mfleet.server.api.Health.down(failure);
    }

    private void reportDrops() {
        long lost = droppedSinceLog.getAndSet(0);
        if (lost > 0) {
            LOG.warn("telemetry backlog full: {} points dropped", lost);
        }
    }

    /** Stores what is already queued, then stops. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        if (thread.isAlive()) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
    }
}
