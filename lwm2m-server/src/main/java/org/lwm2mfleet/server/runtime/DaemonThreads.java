package org.lwm2mfleet.server.runtime;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names the server's background threads (so thread dumps and tests can tell them apart) and makes them daemons (so
 * a forgotten executor never keeps the JVM alive).
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** Threads called {@code name}, or {@code name-1}, {@code name-2}... when {@code numbered}. */
    public static ThreadFactory named(String name, boolean numbered) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, numbered ? name + "-" + count.incrementAndGet() : name);
            thread.setDaemon(true);
            return thread;
        };
    }

    public static ThreadFactory named(String name) {
        return named(name, false);
    }
}
