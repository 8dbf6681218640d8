package org.lwm2mfleet.server.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.FutureCallback;
import org.lwm2mfleet.server.DaemonThreads;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/events}: the domain events as Server-Sent Events, filtered by {@code type} (comma-separated)
 * and {@code endpoint}. Each connection has a bounded queue and a writer thread; a client that cannot keep up is
 * disconnected rather than allowed to grow the server's memory. A comment line every 15 s keeps proxies from
 * closing idle streams.
 */
public final class EventStreamHandler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventStreamHandler.class);
    private static final int QUEUE_SIZE = 10_000;
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final EventBus events;
    private final ExecutorService writers = Executors.newCachedThreadPool(DaemonThreads.named("sse-writer", true));

    public EventStreamHandler(EventBus events) {
        this.events = events;
    }

    public void stream(Exchange exchange) {
        Predicate<FleetEvent> filter = filter(exchange.query("type"), exchange.query("endpoint"));
        BlockingQueue<FleetEvent> queue = new ArrayBlockingQueue<>(QUEUE_SIZE);
        AutoCloseable subscription = events.subscribe(filter, event -> {
            if (!queue.offer(event)) {
                LOG.warn("event stream client too slow, dropping events peer={}",
                        exchange.request().getConnectionMetaData().getRemoteSocketAddress());
            }
        });
        exchange.response().setStatus(200);
        exchange.response().getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream;charset=utf-8");
        exchange.response().getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        writers.execute(() -> pump(exchange, queue, subscription));
    }

    private void pump(Exchange exchange, BlockingQueue<FleetEvent> queue, AutoCloseable subscription) {
        try {
            write(exchange, ": connected\n\n");
            while (!Thread.currentThread().isInterrupted()) {
                FleetEvent event = queue.poll(HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
                write(exchange, event == null ? ": keep-alive\n\n" : format(event));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("event stream closed: {}", e.toString());
        } finally {
            try {
                subscription.close();
            } catch (Exception ignored) {
                // removing from a list cannot fail
            }
            exchange.callback().succeeded();
        }
    }

    private static void write(Exchange exchange, String text) throws Exception {
        FutureCallback written = new FutureCallback();
        exchange.response().write(false, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), written);
        written.get(30, TimeUnit.SECONDS);
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
