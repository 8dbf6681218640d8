package org.lwm2mfleet.server.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.FutureCallback;
import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code GET /api/v1/events}: the domain events as Server-Sent Events, filtered by {@code type} (comma-separated)
 * and {@code endpoint}. Each connection has a bounded queue and a writer thread; a client that cannot keep up, so
 * that its queue fills, is disconnected (and counted) rather than allowed to grow the server's memory or keep its
 * thread. One user holds at most a configured number of streams at once (429 beyond), so that the writer threads
 * are bounded by the users, not by the connections. A comment line every 15 s keeps proxies from closing idle
 * streams.
 */
public final class EventStreamHandler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventStreamHandler.class);
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);
    /** A write that takes longer than this is a client that stopped reading. */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    private final EventBus events;
    private final int queueSize;
    private final int maxPerUser;
    private final Counter slowDisconnects;
    private final Map<String, Integer> streamsPerUser = new HashMap<>();
    private final ExecutorService writers = Executors.newCachedThreadPool(DaemonThreads.named("sse-writer", true));

    public EventStreamHandler(EventBus events, int queueSize, int maxPerUser, MeterRegistry meters) {
        this.events = events;
        this.queueSize = queueSize;
        this.maxPerUser = maxPerUser;
        this.slowDisconnects = Counter.builder("http.event.streams.disconnected").tag("reason", "queue-full")
                .description("Event-stream clients disconnected because they let their queue fill")
                .register(meters);
    }

    public void stream(Exchange exchange) {
        Predicate<FleetEvent> filter = filter(exchange.query("type"), exchange.query("endpoint"));
        String user = exchange.caller() == null ? "anonymous" : exchange.caller().user();
        synchronized (streamsPerUser) {
            int held = streamsPerUser.getOrDefault(user, 0);
            if (held >= maxPerUser) {
                throw new FleetException(ProblemType.TOO_MANY_STREAMS, null, user + " holds " + held
                        + " event streams already, the most one user may hold; close one first");
            }
            streamsPerUser.put(user, held + 1);
        }
        Stream stream = new Stream(exchange, user, new ArrayBlockingQueue<>(queueSize));
        stream.subscription = events.subscribe(filter, event -> {
            if (!stream.queue.offer(event)) {
                stream.overflowed();
            }
        });
        exchange.response().setStatus(200);
        exchange.response().getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream;charset=utf-8");
        exchange.response().getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        stream.writer = writers.submit(stream::pump);
    }

    /** Open streams of a user now. */
    public int streams(String user) {
        synchronized (streamsPerUser) {
            return streamsPerUser.getOrDefault(user, 0);
        }
    }

    /** One client's stream: its queue, its writer, and how it ends. */
    private final class Stream {
        final Exchange exchange;
        final String user;
        final BlockingQueue<FleetEvent> queue;
        volatile AutoCloseable subscription;
        volatile Future<?> writer;
        private final AtomicBoolean overflowed = new AtomicBoolean();

        Stream(Exchange exchange, String user, BlockingQueue<FleetEvent> queue) {
            this.exchange = exchange;
            this.user = user;
            this.queue = queue;
        }

        /** On the publisher's thread: stop queueing, and stop the writer, which ends the connection. */
        void overflowed() {
            if (!overflowed.compareAndSet(false, true)) {
                return;
            }
            slowDisconnects.increment();
            LOG.warn("event stream client too slow, disconnecting user={} peer={} queued={}", user,
                    exchange.request().getConnectionMetaData().getRemoteSocketAddress(), queue.size());
            unsubscribe();
            Future<?> running = writer;
            if (running != null) {
                running.cancel(true);
            }
        }

        void pump() {
            try {
                write(": connected\n\n");
                while (!overflowed.get() && !Thread.currentThread().isInterrupted()) {
                    FleetEvent event = queue.poll(HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
                    write(event == null ? ": keep-alive\n\n" : format(event));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.debug("event stream closed: {}", e.toString());
            } finally {
                unsubscribe();
                queue.clear();
                synchronized (streamsPerUser) {
                    streamsPerUser.computeIfPresent(user, (u, held) -> held <= 1 ? null : held - 1);
                }
                if (overflowed.get()) {
                    // Failing the response aborts the connection: the client sees it end and may reconnect
                    // with Last-Event-ID, instead of silently missing what was dropped.
                    exchange.callback().failed(new java.io.IOException("event stream client too slow"));
                } else {
                    exchange.callback().succeeded();
                }
            }
        }

        private void unsubscribe() {
            try {
                AutoCloseable s = subscription;
                if (s != null) {
                    s.close();
                }
            } catch (Exception ignored) {
                // removing from a list cannot fail
            }
        }

        private void write(String text) throws Exception {
            FutureCallback written = new FutureCallback();
            exchange.response().write(false, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), written);
            written.get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    static String format(FleetEvent event) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", event.id());
        body.put("type", event.type());
        body.put("endpoint", event.endpoint());
        body.put("at", event.at());
        body.put("data", event.data());
        return "id: " + event.id() + "\nevent: " + event.type() + "\ndata: " + Json.MAPPER.writeValueAsString(body)
                + "\n\n";
    }

    private static Predicate<FleetEvent> filter(String types, String endpoint) {
        Predicate<FleetEvent> filter = e -> true;
        if (types != null) {
            Set<String> wanted = Arrays.stream(types.split(",")).map(String::strip).filter(t -> !t.isEmpty())
                    .collect(Collectors.toSet());
            for (String type : wanted) {
                if (!EventTypes.ALL.contains(type)) {
                    throw FleetException.invalid("type", "unknown event type '" + type + "'; known: "
                            + EventTypes.ALL.stream().sorted().collect(Collectors.joining(", ")));
                }
            }
            filter = filter.and(e -> wanted.contains(e.type()));
        }
        if (endpoint != null) {
            filter = filter.and(e -> endpoint.equals(e.endpoint()));
        }
        return filter;
    }

    @Override
    public void close() {
        writers.shutdownNow();
    }
}
