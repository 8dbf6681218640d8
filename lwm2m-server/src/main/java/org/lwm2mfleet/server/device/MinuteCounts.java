package org.lwm2mfleet.server.device;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts per wall-clock minute over the last {@link #MINUTES} minutes, in memory: a ring of counters indexed by the
 * minute, each slot remembering which minute it holds so that a slot left from an hour ago reads as zero. Counting
 * is lock-free (a storm counts from many DTLS threads at once); a slot changing minute under a reader only makes
 * that reader's figure one event off.
 */
final class MinuteCounts {

    static final int MINUTES = 60;

    private final AtomicLongArray counts = new AtomicLongArray(MINUTES);
    /** The minute (epoch minutes) each slot counts. */
    private final AtomicLongArray minutes = new AtomicLongArray(MINUTES);

    void increment(Instant at) {
        long minute = Math.floorDiv(at.getEpochSecond(), 60);
        int slot = (int) Math.floorMod(minute, MINUTES);
        long held = minutes.get(slot);
        if (held != minute && minutes.compareAndSet(slot, held, minute)) {
            // The first event of a new minute in this slot starts it from zero.
            counts.set(slot, 0);
        }
        counts.incrementAndGet(slot);
    }

    /** The count of the minute starting at {@code minuteStart} (epoch seconds), 0 when it is not held any more. */
    long get(long minuteStart) {
        long minute = Math.floorDiv(minuteStart, 60);
        int slot = (int) Math.floorMod(minute, MINUTES);
        return minutes.get(slot) == minute ? counts.get(slot) : 0;
    }
}
