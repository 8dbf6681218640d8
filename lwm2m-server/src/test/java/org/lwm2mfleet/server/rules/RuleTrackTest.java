package org.lwm2mfleet.server.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.rules.RuleTrack.Verdict.CLEAR;
import static org.lwm2mfleet.server.rules.RuleTrack.Verdict.FIRE;
import static org.lwm2mfleet.server.rules.RuleTrack.Verdict.NONE;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** One rule on one device, without a server: hysteresis, hold times, silence and change, judged report by report. */
class RuleTrackTest {

    private static final Instant T0 = Instant.parse("2026-12-03T12:00:00Z");

    private static Rule.Trigger trigger(Rule.Condition condition, double threshold, double clear, Duration hold,
            Duration silence) {
        return new Rule.Trigger("/3303/0/5700", "meter-1", null, null, condition, threshold, clear,
                JsonNodeFactory.instance.numberNode(7), hold, silence, null);
    }

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void aboveFiresOverTheThresholdAndClearsOnlyBelowTheClearLevel() {
        RuleTrack track = new RuleTrack(trigger(Rule.Condition.ABOVE, 30, 25, Duration.ZERO, null), T0);
        assertThat(track.reported(30.0, at(1))).as("equal to the threshold is not above").isEqualTo(NONE);
        assertThat(track.reported(30.5, at(2))).isEqualTo(FIRE);
        assertThat(track.reported(31, at(3))).as("already active").isEqualTo(NONE);
        assertThat(track.reported(27, at(4))).as("below the threshold, above the clear level").isEqualTo(NONE);
        assertThat(track.reported(25, at(5))).as("equal to the clear level does not clear").isEqualTo(NONE);
        assertThat(track.reported(24.9, at(6))).isEqualTo(CLEAR);
        assertThat(track.reported(29, at(7))).as("between the levels after clearing").isEqualTo(NONE);
        assertThat(track.reported(35, at(8))).isEqualTo(FIRE);
    }

    @Test
    void belowMirrorsAbove() {
        RuleTrack track = new RuleTrack(trigger(Rule.Condition.BELOW, 10, 15, Duration.ZERO, null), T0);
        assertThat(track.reported(9, at(1))).isEqualTo(FIRE);
        assertThat(track.reported(14, at(2))).isEqualTo(NONE);
        assertThat(track.reported(16, at(3))).isEqualTo(CLEAR);
        assertThat(track.reported("not a number", at(4))).isEqualTo(NONE);
    }

    @Test
    void aHoldFiresOnlyWhenTheConditionLastedUnbroken() {
        RuleTrack track = new RuleTrack(trigger(Rule.Condition.ABOVE, 30, 25, Duration.ofSeconds(60), null), T0);
        assertThat(track.reported(40, at(0))).isEqualTo(NONE);
        assertThat(track.reported(41, at(59))).as("59 s of 60").isEqualTo(NONE);
        assertThat(track.reported(20, at(59))).as("a break restarts the hold").isEqualTo(NONE);
        assertThat(track.idle()).isTrue();
        assertThat(track.reported(40, at(100))).isEqualTo(NONE);
        assertThat(track.idle()).isFalse();
        assertThat(track.tick(at(159))).isEqualTo(NONE);
        assertThat(track.tick(at(160))).as("the sweep fires once the hold has passed without a report")
                .isEqualTo(FIRE);
        assertThat(track.tick(at(500))).as("fires once").isEqualTo(NONE);
    }

    @Test
    void equalsComparesNumbersWhateverTheirEncoding() {
        RuleTrack track = new RuleTrack(trigger(Rule.Condition.EQUALS, 0, 0, Duration.ZERO, null), T0);
        assertThat(track.reported(7.0, at(1))).isEqualTo(FIRE);
        assertThat(track.reported(7L, at(2))).isEqualTo(NONE);
        assertThat(track.reported(8, at(3))).isEqualTo(CLEAR);
    }

    @Test
    void changedFiresOnEveryChangeButNotOnTheFirstValueNorOnTheSameReadingInAnotherType() {
        RuleTrack track = new RuleTrack(trigger(Rule.Condition.CHANGED, 0, 0, Duration.ZERO, null), T0);
        assertThat(track.reported(21, at(1))).isEqualTo(NONE);
        assertThat(track.reported(21.0, at(2))).isEqualTo(NONE);
        assertThat(track.reported(22, at(3))).isEqualTo(FIRE);
        assertThat(track.reported(23, at(4))).isEqualTo(FIRE);
        assertThat(track.lastValue()).isEqualTo(23);
    }

    @Test
    void silenceCountsFromTheLastReportOrFromWhenWatchingBegan() {
        RuleTrack track = new RuleTrack(trigger(Rule.Condition.SILENT, 0, 0, Duration.ZERO, Duration.ofMinutes(5)),
                T0);
        assertThat(track.tick(at(299))).isEqualTo(NONE);
        assertThat(track.tick(at(300))).isEqualTo(FIRE);
        assertThat(track.tick(at(900))).isEqualTo(NONE);
        assertThat(track.reported(1, at(901))).as("the next report clears").isEqualTo(CLEAR);
        assertThat(track.tick(at(1200))).isEqualTo(NONE);
        assertThat(track.tick(at(1201))).isEqualTo(FIRE);
    }
}
