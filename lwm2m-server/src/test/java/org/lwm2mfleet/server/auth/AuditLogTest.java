package org.lwm2mfleet.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.lwm2mfleet.server.store.Database;

/** The audit log on a real (in-memory H2) database with its migrations. */
class AuditLogTest {

    /** A clock the test moves by hand. */
    static final class HandClock extends Clock {
        volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private final HandClock clock = new HandClock();
    private final Database database = Database.open("jdbc:h2:mem:audit-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    private final org.lwm2mfleet.server.runtime.Scheduler scheduler = new org.lwm2mfleet.server.runtime.Scheduler(1);
    private final AuditLog audit = new AuditLog(database.jdbc(), clock, Duration.ofDays(365), Duration.ofHours(1),
            scheduler);

    @org.junit.jupiter.api.BeforeEach
    void start() {
        scheduler.start();
        audit.start();
    }

    @AfterEach
    void close() throws InterruptedException {
        audit.close();
        scheduler.close();
        database.close();
    }

    private long rows() {
        return database.jdbc().queryOne("SELECT COUNT(*) AS n FROM audit_log", r -> r.getLong("n")).orElseThrow();
    }

    @Test
    void signInsRefusedWhileLockedAreOneRowPerAddressAndMinute() {
        audit.record("alice", "sign-in", null, "failed, now locked", "198.51.100.1");
        for (int i = 0; i < 5000; i++) {
            audit.refusedWhileLocked("alice", "198.51.100.1");
        }
        audit.refusedWhileLocked("x", "198.51.100.2");
        audit.refusedWhileLocked("y", "198.51.100.2");
        audit.writeRefused(false);
        assertThat(rows()).as("nothing written before the window ends").isEqualTo(1);

        clock.advance(AuditLog.LOCKED_WINDOW);
        audit.refusedWhileLocked("alice", "198.51.100.1"); // the first of the next window
        audit.writeRefused(false);

        List<AuditEntry> entries = audit.list(null, null, 100);
        assertThat(entries).hasSize(3);
        AuditEntry alice = entries.stream().filter(e -> e.address().equals("198.51.100.1") && e.attempts() > 1)
                .findFirst().orElseThrow();
        assertThat(alice.actor()).isEqualTo("alice");
        assertThat(alice.outcome()).isEqualTo("locked");
        assertThat(alice.attempts()).isEqualTo(5000);
        assertThat(alice.at()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        AuditEntry sweep = entries.stream().filter(e -> e.address().equals("198.51.100.2")).findFirst().orElseThrow();
        assertThat(sweep.actor()).isEqualTo("(2 user names)");
        assertThat(sweep.attempts()).isEqualTo(2);
        assertThat(entries.stream().filter(e -> e.outcome().equals("failed, now locked")).findFirst().orElseThrow()
                .attempts()).isEqualTo(1);
    }

    @Test
    void countsStillInMemoryAreWrittenAtClose() {
        audit.refusedWhileLocked("alice", "198.51.100.1");
        audit.refusedWhileLocked("alice", "198.51.100.1");
        audit.close();
        assertThat(audit.list("alice", null, 10)).singleElement()
                .satisfies(e -> assertThat(e.attempts()).isEqualTo(2));
    }

    @Test
    void entriesOlderThanTheRetentionAreDeleted() {
        audit.record("old", "POST /api/v1/devices", "/api/v1/devices", "201");
        clock.advance(Duration.ofDays(200));
        audit.record("recent", "POST /api/v1/devices", "/api/v1/devices", "201");
        assertThat(audit.applyRetention()).isZero();

        clock.advance(Duration.ofDays(166));
        assertThat(audit.applyRetention()).isEqualTo(1);
        assertThat(audit.list(null, null, 10)).extracting(AuditEntry::actor).containsExactly("recent");
    }

    @Test
    void retentionDeletesInBatchesUntilNothingOldIsLeft() {
        List<Object[]> old = new java.util.ArrayList<>();
        for (int i = 0; i < 12_000; i++) {
            old.add(new Object[] { java.sql.Timestamp.from(clock.instant()), "old-" + i, "sign-in", "failed" });
        }
        database.jdbc().batch("INSERT INTO audit_log (at, actor, action, outcome) VALUES (?, ?, ?, ?)", old);
        clock.advance(Duration.ofDays(366));
        audit.record("recent", "sign-in", null, "ok");

        assertThat(audit.applyRetention()).isEqualTo(12_000);
        assertThat(rows()).isEqualTo(1);
    }
}
