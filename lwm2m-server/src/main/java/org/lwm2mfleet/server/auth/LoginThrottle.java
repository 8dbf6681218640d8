package org.lwm2mfleet.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows down password guessing: after {@value #FREE_USER_FAILURES} failed sign-ins in a row for a user name, or
 * {@value #FREE_ADDRESS_FAILURES} from one client address (which may be a whole office behind one NAT), each further
 * failure locks that name or address for twice as long as the one before (1 s, 2 s, 4 s ...), up to
 * {@link #MAX_LOCK}. A success clears the user's failures.
 * <p>
 * The state is kept in three maps so that no kind of key can push another out of memory. Existing users have a map
 * of their own that nothing evicts (it holds at most one entry per row of the users table): a guesser who spreads
 * made-up names over thousands of addresses cannot flush the lock of the account he is after. Made-up names and
 * addresses each keep their most recent {@value #MAX_KEYS}, so a flood of them cannot fill the memory; they only
 * evict their own kind.
 */
public final class LoginThrottle {

    static final int FREE_USER_FAILURES = 5;
    static final int FREE_ADDRESS_FAILURES = 20;
    static final Duration MAX_LOCK = Duration.ofMinutes(15);
    static final int MAX_KEYS = 10_000;

    private record Failures(int count, Instant lockedUntil) {
    }

    private final Clock clock;
    /** Users that exist: bounded by the users table, never evicted. */
    private final Map<String, Failures> users = new HashMap<>();
    /** Names no user has: an unknown name must lock like a known one, or the lock would tell which names exist. */
    private final Map<String, Failures> unknownNames = recent();
    private final Map<String, Failures> addresses = recent();

    public LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long until the user or the address may try again; zero when they may now. */
    public synchronized Duration wait(String username, String address) {
        Instant now = clock.instant();
        Duration wait = Duration.ZERO;
        Failures user = users.containsKey(username) ? users.get(username) : unknownNames.get(username);
        for (Failures f : new Failures[] { user, addresses.get(address) }) {
            if (f != null && f.lockedUntil() != null && f.lockedUntil().isAfter(now)) {
                Duration left = Duration.between(now, f.lockedUntil());
                wait = left.compareTo(wait) > 0 ? left : wait;
            }
        }
        return wait;
    }

    /**
     * Records a failure; true when it locks the user or the address.
     *
     * @param userExists whether {@code username} is a user: only those are kept out of reach of eviction
     */
    public synchronized boolean failed(String username, boolean userExists, String address) {
        Map<String, Failures> names = userExists ? users : unknownNames;
        if (userExists) {
            // A name tried before the user was created carries its count over.
            Failures before = unknownNames.remove(username);
            if (before != null && !users.containsKey(username)) {
                users.put(username, before);
            }
        }
        boolean userLocked = count(names, username, FREE_USER_FAILURES);
        boolean addressLocked = count(addresses, address, FREE_ADDRESS_FAILURES);
        return userLocked || addressLocked;
    }

    /** Clears the user's failures; the address keeps its own, so one good account does not reset a guesser. */
    public synchronized void succeeded(String username) {
        users.remove(username);
        unknownNames.remove(username);
    }

    private boolean count(Map<String, Failures> map, String key, int free) {
        int count = map.getOrDefault(key, new Failures(0, null)).count() + 1;
        Instant lockedUntil = null;
        if (count > free) {
            long seconds = 1L << Math.min(count - free - 1, 20);
            lockedUntil = clock.instant().plus(Duration.ofSeconds(Math.min(seconds, MAX_LOCK.toSeconds())));
        }
        map.put(key, new Failures(count, lockedUntil));
        return lockedUntil != null;
    }

    private static Map<String, Failures> recent() {
        return new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
                return size() > MAX_KEYS;
            }
        };
    }
}
