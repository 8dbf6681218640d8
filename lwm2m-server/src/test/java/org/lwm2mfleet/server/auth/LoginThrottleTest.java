package org.lwm2mfleet.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    private final LoginThrottle throttle = new LoginThrottle(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"),
            ZoneOffset.UTC));

    private void lock(String username, boolean exists, String address) {
        for (int i = 0; i <= LoginThrottle.FREE_USER_FAILURES; i++) {
            throttle.failed(username, exists, address);
        }
    }

    @Test
    void aUsersLockSurvivesFailuresOfMadeUpNamesFromManyAddresses() {
        lock("alice", true, "198.51.100.1");
        assertThat(throttle.wait("alice", "203.0.113.9")).isPositive();

        // Three times as many keys as either bounded map keeps: each failure is a new name and a new address.
        for (int i = 0; i < 3 * LoginThrottle.MAX_KEYS; i++) {
            throttle.failed("made-up-" + i, false, "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255));
        }

        assertThat(throttle.wait("alice", "203.0.113.9")).isEqualTo(Duration.ofSeconds(1));
        // And her count too: the next failure doubles the lock instead of starting afresh.
        throttle.failed("alice", true, "203.0.113.9");
        assertThat(throttle.wait("alice", "203.0.113.10")).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aMadeUpNameLocksLikeAnExistingOneButFloodsOfThemStayBounded() {
        lock("ghost", false, "198.51.100.1");
        assertThat(throttle.wait("ghost", "203.0.113.9")).isEqualTo(Duration.ofSeconds(1));

        for (int i = 0; i < LoginThrottle.MAX_KEYS; i++) {
            throttle.failed("made-up-" + i, false, "198.51.100.2");
        }
        // The oldest made-up name went to make room: memory is bounded, for names that exist nowhere.
        assertThat(throttle.wait("ghost", "203.0.113.9")).isZero();
    }

    @Test
    void anAddressIsLockedAfterItsOwnFailuresWhateverTheNames() {
        for (int i = 0; i < LoginThrottle.FREE_ADDRESS_FAILURES; i++) {
            assertThat(throttle.failed("name-" + i, false, "198.51.100.7")).isFalse();
        }
        assertThat(throttle.failed("name-x", false, "198.51.100.7")).isTrue();
        assertThat(throttle.wait("someone-else", "198.51.100.7")).isEqualTo(Duration.ofSeconds(1));
        assertThat(throttle.wait("someone-else", "198.51.100.8")).isZero();
    }

    @Test
    void aSuccessClearsTheUserButNotTheAddress() {
        lock("bob", true, "198.51.100.3");
        throttle.succeeded("bob");
        assertThat(throttle.wait("bob", "203.0.113.9")).isZero();
        for (int i = 0; i < LoginThrottle.FREE_ADDRESS_FAILURES; i++) {
            throttle.failed("carol", true, "198.51.100.3");
        }
        assertThat(throttle.wait("dave", "198.51.100.3")).isPositive();
    }

    @Test
    void failuresOfANameBeforeItsUserWasCreatedStillCount() {
        lock("later", false, "198.51.100.4");
        throttle.failed("later", true, "198.51.100.5");
        assertThat(throttle.wait("later", "203.0.113.9")).isEqualTo(Duration.ofSeconds(2));
    }
}
