package org.lwm2mfleet.server.rules;

import java.time.Instant;
import java.util.Objects;

/**
 * What one rule knows about one device, so each report is judged against the previous state rather than re-read:
 * whether the rule is active, since when its condition has held (for a minimum duration), the last value and when
 * the device last reported. Used from the rule engine's one thread only.
 */
final class RuleTrack {

    enum Verdict {
        NONE, FIRE, CLEAR
    }

    private final Rule.Trigger trigger;
    private boolean active;
    private Instant holdingSince;
    private Object lastValue;
    private boolean hasValue;
    private Instant lastReport;

    /** @param watchingSince when the rule started watching the device: silence counts from there at the latest */
    RuleTrack(Rule.Trigger trigger, Instant watchingSince) {
        this.trigger = trigger;
        this.lastReport = watchingSince;
    }

    /** The device reported {@code value} at {@code now}. */
    Verdict reported(Object value, Instant now) {
        Object previous = lastValue;
        boolean hadValue = hasValue;
        lastValue = value;
        hasValue = true;
        lastReport = now;
        switch (trigger.condition()) {
        case SILENT:
            return active ? clear() : Verdict.NONE;
        case CHANGED:
            return hadValue && !Objects.equals(normalized(previous), normalized(value)) ? Verdict.FIRE : Verdict.NONE;
        default:
            if (active) {
                return trigger.clears(value) ? clear() : Verdict.NONE;
            }
            if (!trigger.holds(value)) {
                holdingSince = null;
                return Verdict.NONE;
            }
            if (holdingSince == null) {
                holdingSince = now;
            }
            return held(now) ? fire() : Verdict.NONE;
        }
    }

    /** Time passed without a report: a silence may have become long enough, or a condition held long enough. */
    Verdict tick(Instant now) {
        if (active) {
            return Verdict.NONE;
        }
        if (trigger.condition() == Rule.Condition.SILENT) {
            return !lastReport.plus(trigger.silence()).isAfter(now) ? fire() : Verdict.NONE;
        }
        return holdingSince != null && held(now) ? fire() : Verdict.NONE;
    }

    /** Neither active nor waiting for a hold: nothing worth remembering for above, below and equals. */
    boolean idle() {
        return !active && holdingSince == null;
    }

    Object lastValue() {
        return lastValue;
    }

    private boolean held(Instant now) {
        return !holdingSince.plus(trigger.hold()).isAfter(now);
    }

    private Verdict fire() {
        active = true;
        holdingSince = null;
        return Verdict.FIRE;
    }

    private Verdict clear() {
        active = false;
        return Verdict.CLEAR;
    }

    /** 21 and 21.0 are the same reading, whatever the format the device encoded it in. */
    private static Object normalized(Object value) {
        return value instanceof Number n ? (Object) n.doubleValue() : value;
    }
}
