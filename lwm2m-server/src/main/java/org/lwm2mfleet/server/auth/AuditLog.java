package org.lwm2mfleet.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.server.runtime.Lifecycle;
import org.lwm2mfleet.server.runtime.Scheduler;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log table: every state-changing call and sign-in, kept in the database for {@code retention}, read by
 * admins.
 * <p>
 * Sign-ins refused because of a lock are the exception to one row per attempt: they cost the client no password
 * hash, so a client retrying in a loop could add rows as fast as the server answers (one grew a database by 1.3 GB an
 * hour). They are counted per client address instead, and written as one row per address and
 * {@link #LOCKED_WINDOW} with the number of attempts. The failure that set the lock keeps its own row.
 */
public final class AuditLog implements Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    static final Duration LOCKED_WINDOW = Duration.ofMinutes(1);
    /** Addresses counted at once; more (a flood from many addresses) writes the counts out early. */
    static final int MAX_TALLIES = 10_000;
    /** User names remembered per tally: enough to tell one account attacked from a sweep. */
    private static final int MAX_NAMES = 100;
    private static final int RETENTION_BATCH = 10_000;

    /** Refused attempts of one address in one window. */
    private static final class Tally {
        final Instant start;
        final Set<String> names = new LinkedHashSet<>();
        int attempts;

        Tally(Instant start) {
            this.start = start;
        }

        String actor() {
            return names.size() == 1 ? names.iterator().next()
                    : "(" + names.size() + (names.size() >= MAX_NAMES ? "+" : "") + " user names)";
        }
    }

    private final Jdbc jdbc;
    private final Clock clock;
    private final Duration retention;
    private final Duration prunePeriod;
    private final Scheduler scheduler;
    private final List<Scheduler.Task> tasks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Guarded by itself. */
    private final Map<String, Tally> refused = new HashMap<>();
    /** Tallies whose window ended, waiting for the writer; guarded by {@link #refused}. */
    private final List<Map.Entry<String, Tally>> ended = new ArrayList<>();

    /**
     * @param retention entries older than this are deleted, at start and then every {@code prunePeriod}
     */
    public AuditLog(Jdbc jdbc, Clock clock, Duration retention, Duration prunePeriod, Scheduler scheduler) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.retention = retention;
        this.prunePeriod = prunePeriod;
        this.scheduler = scheduler;
    }

    @Override
    public void start() {
        // Counting is in memory; a check each second writes the windows that ended, so a count is at most a
        // window and a second late.
        tasks.add(scheduler.every("audit-log-refusals", Duration.ofSeconds(1), Duration.ofSeconds(1),
                this::writeEndedQuietly));
        tasks.add(scheduler.every("audit-log-retention", Duration.ZERO, prunePeriod, this::applyRetentionQuietly));
    }

    public void record(String actor, String action, String target, String outcome) {
        record(actor, action, target, outcome, null);
    }

    public void record(String actor, String action, String target, String outcome, String address) {
        insert(clock.instant(), actor, action, target, outcome, address, 1);
    }

    /** A sign-in refused because the user or the address is locked: counted, written once per address and window. */
    public void refusedWhileLocked(String username, String address) {
        Instant now = clock.instant();
        String key = address == null ? "" : address;
        boolean full;
        synchronized (refused) {
            Tally tally = refused.get(key);
            if (tally != null && !now.isBefore(tally.start.plus(LOCKED_WINDOW))) {
                ended.add(Map.entry(key, refused.remove(key)));
                tally = null;
            }
            if (tally == null) {
                tally = new Tally(now);
                refused.put(key, tally);
            }
            tally.attempts++;
            if (tally.names.size() < MAX_NAMES) {
                tally.names.add(username);
            }
            full = refused.size() > MAX_TALLIES;
            if (full) {
                refused.forEach((a, t) -> ended.add(Map.entry(a, t)));
                refused.clear();
            }
        }
        if (full) {
            scheduler.now("audit-log-refusals", this::writeEndedQuietly);
        }
    }

    /** Writes the counts of refused attempts whose window has ended; with {@code all}, every count now. */
    void writeRefused(boolean all) {
        Instant now = clock.instant();
        List<Map.Entry<String, Tally>> due;
        synchronized (refused) {
            due = new ArrayList<>(ended);
            ended.clear();
            for (Iterator<Map.Entry<String, Tally>> it = refused.entrySet().iterator(); it.hasNext();) {
                Map.Entry<String, Tally> entry = it.next();
                if (all || !now.isBefore(entry.getValue().start.plus(LOCKED_WINDOW))) {
                    due.add(entry);
                    it.remove();
                }
            }
        }
        List<Object[]> rows = new ArrayList<>();
        for (Map.Entry<String, Tally> entry : due) {
            Tally tally = entry.getValue();
            rows.add(row(tally.start, tally.actor(), "sign-in", null, "locked",
                    entry.getKey().isEmpty() ? null : entry.getKey(), tally.attempts));
        }
        jdbc.batch(INSERT, rows);
    }

    /** Deletes entries older than the retention, a batch at a time; returns how many went. */
    public long applyRetention() {
        Instant cutoff = clock.instant().minus(retention);
        long total = 0;
        int deleted;
        do {
            // The batch's last id first, then a range delete: short statements, never a long lock on the table.
            long upTo = jdbc.queryOne("SELECT MAX(id) AS id FROM (SELECT id FROM audit_log WHERE at < ? ORDER BY id"
                    + " FETCH FIRST " + RETENTION_BATCH + " ROWS ONLY) batch", r -> r.getLong("id"),
                    Jdbc.timestamp(cutoff)).orElse(0L);
            deleted = upTo == 0 ? 0
                    : jdbc.update("DELETE FROM audit_log WHERE id <= ? AND at < ?", upTo, Jdbc.timestamp(cutoff));
            total += deleted;
        } while (deleted >= RETENTION_BATCH);
        if (total > 0) {
            LOG.info("audit log retention deleted {} entries older than {}", total, cutoff);
        }
        return total;
    }

    /** Newest first; {@code actor} and {@code before} (an entry id, for paging) are optional. */
    public List<AuditEntry> list(String actor, Long before, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (actor != null) {
            sql.append(" AND actor = ?");
            params.add(actor);
        }
        if (before != null) {
            sql.append(" AND id < ?");
            params.add(before);
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        params.add(limit);
        return jdbc.query(sql.toString(), row -> new AuditEntry(row.getLong("id"), Jdbc.instant(row, "at"),
                row.getString("actor"), row.getString("action"), row.getString("target"), row.getString("outcome"),
                row.getString("address"), row.getInt("attempts")), params.toArray());
    }

    /** Writes the counts still in memory, so that a stop loses none. */
    @Override
    public void close() {
        tasks.forEach(Scheduler.Task::close);
        tasks.clear();
        writeRefused(true);
    }

    private static final String INSERT = "INSERT INTO audit_log (at, actor, action, target, outcome, address,"
            + " attempts) VALUES (?, ?, ?, ?, ?, ?, ?)";

    private void insert(Instant at, String actor, String action, String target, String outcome, String address,
            int attempts) {
        jdbc.update(INSERT, row(at, actor, action, target, outcome, address, attempts));
    }

    private static Object[] row(Instant at, String actor, String action, String target, String outcome,
            String address, int attempts) {
        return new Object[] { Jdbc.timestamp(at), truncate(actor, 200), truncate(action, 200), truncate(target, 1024),
                truncate(outcome, 200), truncate(address, 64), attempts };
    }

    private void writeEndedQuietly() {
        try {
            writeRefused(false);
        } catch (RuntimeException e) {
            // The counts are lost, not the server: the lock itself still holds, and its row was written.
            LOG.warn("audit log could not write refused sign-in counts: {}", e.toString());
        }
    }

    private void applyRetentionQuietly() {
        try {
            applyRetention();
        } catch (RuntimeException e) {
            LOG.warn("audit log retention failed, will retry", e);
        }
    }

    private static String truncate(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }
}
