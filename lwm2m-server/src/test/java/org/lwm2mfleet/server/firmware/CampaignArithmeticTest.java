package org.lwm2mfleet.server.firmware;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalTime;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/** A campaign's stages, thresholds and window, without a server. */
class CampaignArithmeticTest {

    private static long inStage(int stage, int total, List<Integer> stages) {
        return IntStream.range(0, total).filter(p -> CampaignArithmetic.stageOf(p, total, stages) == stage).count();
    }

    @Test
    void stagesTakeTheirCumulativeShareRoundedUp() {
        List<Integer> stages = List.of(1, 10, 100);
        assertThat(inStage(0, 1000, stages)).isEqualTo(10);
        assertThat(inStage(1, 1000, stages)).isEqualTo(90);
        assertThat(inStage(2, 1000, stages)).isEqualTo(900);
        // 1 % of 50 is half a device: the first stage still holds one, and every device has a stage.
        assertThat(inStage(0, 50, stages)).isEqualTo(1);
        assertThat(inStage(1, 50, stages)).isEqualTo(4);
        assertThat(inStage(0, 50, stages) + inStage(1, 50, stages) + inStage(2, 50, stages)).isEqualTo(50);
        assertThat(CampaignArithmetic.stageOf(0, 1, List.of(100))).isZero();
    }

    @Test
    void stagesAreInPositionOrder() {
        List<Integer> stages = List.of(5, 50, 100);
        int previous = 0;
        for (int position = 0; position < 333; position++) {
            int stage = CampaignArithmetic.stageOf(position, 333, stages);
            assertThat(stage).isGreaterThanOrEqualTo(previous);
            previous = stage;
        }
        assertThat(previous).isEqualTo(2);
    }

    @Test
    void failuresPauseOnlyAboveTheThreshold() {
        assertThat(CampaignArithmetic.failuresExceed(10, 100, 0.1)).as("exactly at the threshold").isFalse();
        assertThat(CampaignArithmetic.failuresExceed(11, 100, 0.1)).isTrue();
        assertThat(CampaignArithmetic.failuresExceed(0, 0, 0.0)).as("an empty campaign").isFalse();
        assertThat(CampaignArithmetic.failuresExceed(1, 1000, 0.0)).as("zero tolerance").isTrue();
    }

    @Test
    void theSuccessRatioCountsFinishedDevicesOnly() {
        assertThat(CampaignArithmetic.successRatio(9, 10)).isEqualTo(0.9);
        assertThat(CampaignArithmetic.successRatio(0, 0)).isEqualTo(1.0);
        assertThat(CampaignArithmetic.successRatio(0, 3)).isZero();
    }

    @Test
    void aWindowMayRunOverMidnight() {
        LocalTime ten = LocalTime.of(22, 0);
        LocalTime four = LocalTime.of(4, 0);
        assertThat(CampaignArithmetic.inWindow(LocalTime.of(23, 30), ten, four)).isTrue();
        assertThat(CampaignArithmetic.inWindow(LocalTime.of(3, 59), ten, four)).isTrue();
        assertThat(CampaignArithmetic.inWindow(LocalTime.of(4, 0), ten, four)).as("the end is outside").isFalse();
        assertThat(CampaignArithmetic.inWindow(LocalTime.NOON, ten, four)).isFalse();
        assertThat(CampaignArithmetic.inWindow(LocalTime.of(22, 0), ten, four)).as("the start is inside").isTrue();
        assertThat(CampaignArithmetic.inWindow(LocalTime.NOON, LocalTime.of(9, 0), LocalTime.of(17, 0))).isTrue();
        assertThat(CampaignArithmetic.inWindow(LocalTime.of(18, 0), LocalTime.of(9, 0), LocalTime.of(17, 0))).isFalse();
        assertThat(CampaignArithmetic.inWindow(LocalTime.MIDNIGHT, null, null)).isTrue();
    }
}
