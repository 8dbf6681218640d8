package org.lwm2mfleet.server.lwm2m;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Uplink requests refused as malformed (4.00, 4.13): each is counted
 * ({@code lwm2m_requests_malformed_total{request,reason}}) and logged in one line, at most once per
 * {@link #LOG_INTERVAL} for each request kind and reason, so a device looping on a bad request (or a peer sending
 * garbage on purpose) cannot fill the log; the next line says how many were not logged.
 */
final class MalformedRequests {

    private static final Logger LOG = LoggerFactory.getLogger(MalformedRequests.class);
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);
    /** Longest quoted value: query values are device-chosen text. */
    private static final int MAX_QUOTED = 64;
    /** Longest detail: ours quote at most one value; Leshan's name the endpoint. */
    private static final int MAX_DETAIL = 200;

    private final MeterRegistry meters;
    private final Clock clock;
    /** Per request kind and reason (closed sets): when the next line may be written, and how many were skipped. */
    private final Map<String, Limiter> limiters = new ConcurrentHashMap<>();

    private static final class Limiter {
        final AtomicLong nextLineAt = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong skipped = new AtomicLong();
    }

    MalformedRequests(MeterRegistry meters, Clock clock) {
        this.meters = meters;
        this.clock = clock;
    }

    /**
     * @param request {@code register}, {@code update}, {@code send}...
     * @param reason a word from a closed list (it is a metric label)
     * @param detail what was wrong, in words; never the payload
     */
    void report(String request, String reason, String peer, String endpoint, String detail) {
        meters.counter("lwm2m.requests.malformed", "request", request, "reason", reason).increment();
        Limiter limiter = limiters.computeIfAbsent(request + ' ' + reason, k -> new Limiter());
        long now = clock.millis();
        long next = limiter.nextLineAt.get();
        if (now < next || !limiter.nextLineAt.compareAndSet(next, now + LOG_INTERVAL.toMillis())) {
            limiter.skipped.incrementAndGet();
            return;
        }
        long skipped = limiter.skipped.getAndSet(0);
        LOG.warn("{} malformed endpoint={} peer={} reason={} detail={}{}", request, oneLine(endpoint), peer, reason,
                oneLine(detail, MAX_DETAIL), skipped == 0 ? "" : " (" + skipped + " more of these not logged)");
    }

    /** Device-chosen text made safe for a one-line log entry: bounded, without control characters. */
    static String oneLine(String text) {
        return oneLine(text, MAX_QUOTED);
    }

    private static String oneLine(String text, int max) {
        if (text == null) {
            return "-";
        }
        String bounded = text.length() > max ? text.substring(0, max) + "..." : text;
        StringBuilder safe = new StringBuilder(bounded.length());
        bounded.codePoints().forEach(c -> safe.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return safe.toString();
    }
}
