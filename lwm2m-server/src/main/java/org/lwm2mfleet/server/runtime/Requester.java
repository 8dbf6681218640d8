package org.lwm2mfleet.server.runtime;

import java.util.function.Supplier;

/**
 * Who asked for the operation being started on this thread: a user ({@code user:alice}), an API token
 * ({@code token:ci}), a rule ({@code rule:7}), or {@code server} for the server's own work. The operation log
 * records it. Operations capture it when they start, on the asking thread, so their asynchronous completion keeps it.
 */
public final class Requester {

    public static final String SERVER = "server";

    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private Requester() {
    }

    public static String current() {
        String who = CURRENT.get();
        return who != null ? who : SERVER;
    }

    /** Runs {@code work} on behalf of {@code who}, then restores whoever was asking before. */
    public static <T> T as(String who, Supplier<T> work) {
        String before = CURRENT.get();
        CURRENT.set(who);
        try {
            return work.get();
        } finally {
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        }
    }
}
