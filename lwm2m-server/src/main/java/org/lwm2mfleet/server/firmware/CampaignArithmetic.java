package org.lwm2mfleet.server.firmware;

import java.time.LocalTime;
import java.util.List;

/**
 * The arithmetic of a campaign, apart from its tables so it can be checked on its own: which stage a device falls in,
 * when failures pause a campaign, when a stage succeeded well enough to open the next, and the daily window.
 */
final class CampaignArithmetic {

    private CampaignArithmetic() {
    }

    /**
     * Stage of the device at {@code position} (0-based) of {@code total}: the first stage whose cumulative share
     * (in %, rounded up so a 1 % stage of 50 devices still holds one) covers it.
     */
    static int stageOf(int position, int total, List<Integer> stages) {
        for (int stage = 0; stage < stages.size(); stage++) {
            int covered = (int) Math.ceil(total * stages.get(stage) / 100.0);
            if (position < covered) {
                return stage;
            }
        }
        return stages.size() - 1;
    }

    /** True when more than {@code threshold} (a share, 0 to 1) of all the campaign's devices failed. */
    static boolean failuresExceed(long failed, long total, double threshold) {
        return total > 0 && (double) failed / total > threshold;
    }

    /**
     * The share of the finished devices of the stages so far that succeeded; 1 when none finished (a stage whose
     * devices were all removed does not hold the campaign back).
     */
    static double successRatio(long succeeded, long done) {
        return done == 0 ? 1.0 : (double) succeeded / done;
    }

    /** Whether {@code now} is in the daily window; a window may run over midnight (22:00 to 04:00); null: always. */
    static boolean inWindow(LocalTime now, LocalTime start, LocalTime end) {
        if (start == null) {
            return true;
        }
        boolean afterStart = !now.isBefore(start);
        boolean beforeEnd = now.isBefore(end);
        return start.isBefore(end) ? afterStart && beforeEnd : afterStart || beforeEnd;
    }
}
