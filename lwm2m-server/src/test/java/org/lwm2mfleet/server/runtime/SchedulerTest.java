package org.lwm2mfleet.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shared background pool: a failing task keeps its schedule, a closed task or scheduler runs nothing more. */
class SchedulerTest {

    private static final Duration OFTEN = Duration.ofMillis(5);

    /** A name of its own: no other scheduler of the JVM is taken for this one. */
    private static final String NAME = "scheduler-test-" + java.util.UUID.randomUUID();

    private final Scheduler scheduler = new Scheduler(NAME, 2);

    @AfterEach
    void close() throws InterruptedException {
        scheduler.close();
    }

    @Test
    void aTaskThatThrowsRunsAgainAtItsNextPeriod() {
        scheduler.start();
        AtomicInteger runs = new AtomicInteger();
        scheduler.every("always-failing", Duration.ZERO, OFTEN, () -> {
            runs.incrementAndGet();
            throw new IllegalStateException("expected by the test");
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 3);
    }

    @Test
    void aClosedTaskDoesNotRunAgain() throws Exception {
        scheduler.start();
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<Scheduler.Task> self = new AtomicReference<>();
        CompletableFuture<Void> third = new CompletableFuture<>();
        self.set(scheduler.every("closes-itself", Duration.ZERO, OFTEN, () -> {
            if (runs.incrementAndGet() == 3) {
                self.get().close();
                third.complete(null);
            }
        }));
        third.get(5, TimeUnit.SECONDS);
        // Twenty periods later, on the same pool: a task still scheduled would have run meanwhile.
        CompletableFuture<Void> later = new CompletableFuture<>();
        scheduler.after("marker", OFTEN.multipliedBy(20), () -> later.complete(null));
        later.get(5, TimeUnit.SECONDS);
        assertThat(runs.get()).isEqualTo(3);
    }

    @Test
    void theThreadCarriesTheTaskNameWhileItRuns() throws Exception {
        scheduler.start();
        CompletableFuture<String> name = new CompletableFuture<>();
        scheduler.now("named-job", () -> name.complete(Thread.currentThread().getName()));
        assertThat(name.get(5, TimeUnit.SECONDS)).startsWith(NAME + "-").endsWith(" named-job");
    }

    @Test
    void closeCancelsEveryTaskAndEndsItsThreads() throws Exception {
        scheduler.start();
        AtomicInteger runs = new AtomicInteger();
        scheduler.every("periodic", Duration.ZERO, OFTEN, runs::incrementAndGet);
        scheduler.after("far-away", Duration.ofHours(1), runs::incrementAndGet);
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 1);

        scheduler.close();
        int atClose = runs.get();
        await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith(NAME + "-") && t.isAlive()
                        && t.getThreadGroup() != null));
        assertThat(runs.get()).isEqualTo(atClose);
        assertThatThrownBy(() -> scheduler.every("too-late", Duration.ZERO, OFTEN, runs::incrementAndGet))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void schedulingBeforeStartIsRefused() {
        // A room that schedules in its constructor is a start-order mistake, said at once.
        assertThatThrownBy(() -> scheduler.now("too-early", () -> {
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("too-early");
    }
}
