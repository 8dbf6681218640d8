package org.lwm2mfleet.server.auth;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.lwm2mfleet.server.store.Jdbc;

/** The audit log table: every state-changing call and sign-in, kept in the database, read by admins. */
public final class AuditLog {

    private final Jdbc jdbc;
    private final Clock clock;

    public AuditLog(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public void record(String actor, String action, String target, String outcome) {
        record(actor, action, target, outcome, null);
    }

    public void record(String actor, String action, String target, String outcome, String address) {
        jdbc.update("INSERT INTO audit_log (at, actor, action, target, outcome, address) VALUES (?, ?, ?, ?, ?, ?)",
                Jdbc.timestamp(clock.instant()), truncate(actor, 200), truncate(action, 200), truncate(target, 1024),
                truncate(outcome, 200), truncate(address, 64));
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
                row.getString("address")), params.toArray());
    }

    private static String truncate(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

}
