package org.lwm2mfleet.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows down password guessing: after {@value #FREE_USER_FAILURES} failed sign-ins in a row for a user name, or
 * {@value #FREE_ADDRESS_FAILURES} from one client address (which may be a whole office behind one NAT), each further
 * failure locks that name or address for twice as long as the one before (1 s, 2 s, 4 s ...), up to
 * {@link #MAX_LOCK}. A success clears the user's failures. Keys are kept for the most recent 10,000 only, so a flood
 * of made-up names cannot fill the memory.
 */
public final class LoginThrottle {

    static final int FREE_USER_FAILURES = 5;
    static final int FREE_ADDRESS_FAILURES = 20;
    static final Duration MAX_LOCK = Duration.ofMinutes(15);
    private static final int MAX_KEYS = 10_000;

    private record Failures(int count, Instant lockedUntil) {
    }

    private final Clock clock;
    private final Map<String, Failures> failures = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
            return size() > MAX_KEYS;
        }
    };

    public LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long until the user or the address may try again; zero when they may now. */
    public synchronized Duration wait(String username, String address) {
        Instant now = clock.instant();
        Duration wait = Duration.ZERO;
        for (String key : new String[] { "user:" + username, "addr:" + address }) {
            Failures f = failures.get(key);
            if (f != null && f.lockedUntil() != null && f.lockedUntil().isAfter(now)) {
                Duration left = Duration.between(now, f.lockedUntil());
                wait = left.compareTo(wait) > 0 ? left : wait;
            }
        }
        return wait;
    }

    /** Records a failure; true when it locks the user or the address. */
    public synchronized boolean failed(String username, String address) {
        boolean locked = false;
        for (String key : new String[] { "user:" + username, "addr:" + address }) {
            Failures f = failures.getOrDefault(key, new Failures(0, null));
            int count = f.count() + 1;
            Instant lockedUntil = null;
            int free = key.startsWith("user:") ? FREE_USER_FAILURES : FREE_ADDRESS_FAILURES;
            if (count > free) {
                long seconds = 1L << Math.min(count - free - 1, 20);
                Duration lock = Duration.ofSeconds(Math.min(seconds, MAX_LOCK.toSeconds()));
                lockedUntil = clock.instant().plus(lock);
                locked = true;
            }
            failures.put(key, new Failures(count, lockedUntil));
        }
        return locked;
    }

    /** Clears the user's failures; the address keeps its own, so one good account does not reset a guesser. */
    public synchronized void succeeded(String username) {
        failures.remove("user:" + username);
    }
}
