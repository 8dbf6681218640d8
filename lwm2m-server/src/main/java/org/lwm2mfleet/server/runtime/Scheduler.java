package org.lwm2mfleet.server.runtime;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's one pool for background work: periodic jobs (retention, clean-ups, expiry) and delayed one-off tasks
 * (webhook retries), instead of a thread per room. Each task has a name, which the thread carries while the task runs
 * (thread dumps say what is busy) and which a failure is logged with; a periodic task that throws runs again at its
 * next period. Work that must stay on one thread in order (a writer draining a queue, a state machine confined to its
 * thread) keeps its own thread in its room.
 */
public final class Scheduler implements Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    public static final String THREAD_NAME = "scheduler";

    private final ScheduledThreadPoolExecutor executor;
    private volatile boolean started;

    /** A handle on a scheduled task. */
    public interface Task extends AutoCloseable {

        /** Stops the task: a run under way finishes, no further run starts. */
        @Override
        void close();
    }

    /** @param threads how many tasks may run at once; the threads start with the first task */
    public Scheduler(int threads) {
        this(THREAD_NAME, threads);
    }

    /** @param name what its threads are called, numbered */
    public Scheduler(String name, int threads) {
        this.executor = new ScheduledThreadPoolExecutor(threads, DaemonThreads.named(name, true));
        // Cancelled tasks leave the queue at once: a room that stops does not leave its jobs behind until their time.
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    @Override
    public void start() {
        started = true;
    }

    /** Runs {@code task} every {@code period} (counted from the end of a run), the first time after {@code initialDelay}. */
    public Task every(String name, Duration initialDelay, Duration period, Runnable task) {
        checkStarted(name);
        ScheduledFuture<?> future = executor.scheduleWithFixedDelay(() -> run(name, task), initialDelay.toMillis(),
                Math.max(1, period.toMillis()), TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
    }

    /** Runs {@code task} once, after {@code delay}. */
    public Task after(String name, Duration delay, Runnable task) {
        checkStarted(name);
        ScheduledFuture<?> future = executor.schedule(() -> run(name, task), delay.toMillis(), TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
    }

    /** Runs {@code task} once, as soon as a thread is free. */
    public Task now(String name, Runnable task) {
        return after(name, Duration.ZERO, task);
    }

    private void checkStarted(String name) {
        if (!started) {
            // A room that schedules in its constructor, or after the server stopped: the start order is wrong.
            throw new IllegalStateException("task " + name + " scheduled while the scheduler is not running");
        }
    }

    private static void run(String name, Runnable task) {
        Thread thread = Thread.currentThread();
        String threadName = thread.getName();
        thread.setName(threadName + " " + name);
        try {
            task.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // Thrown out of a periodic task, this would end its schedule for good, silently.
            LOG.warn("background task {} failed", name, e);
        } finally {
            thread.setName(threadName);
        }
    }

    /** Cancels every task and waits a little for those running: the rooms have stopped theirs already. */
    @Override
    public void close() throws InterruptedException {
        started = false;
        executor.shutdownNow();
        if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
            LOG.warn("background tasks still running 5 s after the stop");
        }
    }
}
