package org.lwm2mfleet.server.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's parts in start order. {@link #start} starts them one after the other; if one throws, the parts
 * already started (and the one that failed, which may hold half of what it started) are closed in reverse order and
 * the failure propagates. {@link #close} closes the started ones in reverse order, each even when another failed.
 */
public final class Parts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Parts.class);

    /** A start or stop step. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private record Part(String name, Step start, Step stop) {
    }

    private final List<Part> parts = new ArrayList<>();
    private final Deque<Part> started = new ArrayDeque<>();

    public Parts add(String name, Lifecycle part) {
        return add(name, part::start, part::close);
    }

    /** A part that only needs stopping (it was started when built, such as the database). */
    public Parts stopOnly(String name, Step stop) {
        return add(name, () -> {
        }, stop);
    }

    public Parts add(String name, Step start, Step stop) {
        parts.add(new Part(name, start, stop));
        return this;
    }

    /** The parts' names, in start order. */
    public List<String> names() {
        return parts.stream().map(Part::name).toList();
    }

    public void start() throws Exception {
        for (Part part : parts) {
            started.push(part);
            try {
                part.start().run();
            } catch (Exception | Error e) {
                LOG.error("starting {} failed; stopping what was started", part.name());
                try {
                    close();
                } catch (Exception stopFailure) {
                    e.addSuppressed(stopFailure);
                }
                throw e;
            }
        }
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        while (!started.isEmpty()) {
            Part part = started.pop();
            try {
                part.stop().run();
            } catch (Exception e) {
                LOG.warn("stopping {} failed", part.name(), e);
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
