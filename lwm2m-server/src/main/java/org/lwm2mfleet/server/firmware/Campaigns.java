package org.lwm2mfleet.server.firmware;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firmware campaigns: one image to a set of devices, with a limit on devices updating at once, stages (for example
 * 1 %, 10 %, then everyone) that open only when the previous ones succeeded well enough, a failure threshold that
 * pauses the campaign, and retries with back-off. All state is in the database (tables campaigns and
 * campaign_devices): a restarted server carries on where it stopped, and a device that finished is never updated
 * again. One thread runs every campaign, so the concurrency limit holds without locks.
 */
public final class Campaigns implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Campaigns.class);

    /** What an operator asks for. */
    public record NewCampaign(String name, long imageId, List<String> devices, String tag, String model,
            String firmwareVersion, int concurrency, List<Integer> stages, double successThreshold,
            double failureThreshold, int maxAttempts, Duration retryBackoff, java.time.LocalTime windowStart,
            java.time.LocalTime windowEnd) {
    }

    /** A campaign as the API shows it. */
    public record Campaign(long id, String name, long imageId, String status, int concurrency, List<Integer> stages,
            int currentStage, double successThreshold, double failureThreshold, int maxAttempts,
            long retryBackoffMillis, String pausedReason, Instant createdAt, Instant finishedAt,
            java.time.LocalTime windowStart, java.time.LocalTime windowEnd) {
    }

    /**
     * A device's place in a campaign.
     *
     * @param state what the counts and the {@code state} filter use: the device update's progress (downloading,
     *            downloaded, updating...) while the campaign has it updating, else {@code status}
     */
    public record CampaignDevice(String endpoint, int stage, String status, String state, String updateStatus,
            int attempts, Long updateId, String lastFailure) {
    }

    /** One page of a campaign's devices, in campaign order; {@code nextCursor} is null on the last page. */
    public record DevicePage(List<CampaignDevice> items, String nextCursor) {
    }

    /** The states a campaign's device can be in, as counted and filtered. */
    public static final List<String> STATES = List.of("pending", "downloading", "downloaded", "updating", "succeeded",
            "failed", "cancelled");
    public static final int MAX_PAGE = 500;
    /** A device's state in SQL: see {@link CampaignDevice#state}. */
    private static final String STATE = "CASE WHEN d.status = 'updating' AND u.status IN ('downloading', 'downloaded',"
            + " 'updating', 'succeeded', 'failed') THEN u.status ELSE d.status END";

    private final Jdbc jdbc;
    private final FirmwareImages images;
    private final FirmwareUpdates updates;
    private final DeviceService devices;
    private final EventBus events;
    private final Clock clock;
    private final Predicate<String> reachable;
    private final FirmwareInventory inventory;
    /**
     * Its own thread, not the shared scheduler: a campaign's ticks and the update events it reacts to run one at a
     * time, in order. It starts once {@link #start} ran.
     */
    private final ScheduledExecutorService engine = Executors
            .newSingleThreadScheduledExecutor(DaemonThreads.named("campaigns"));
    private final Duration tick;
    private AutoCloseable updateEvents;

    /** @param reachable whether a device is registered and awake, so an update can start now */
    public Campaigns(Jdbc jdbc, FirmwareImages images, FirmwareUpdates updates, FirmwareInventory inventory,
            DeviceService devices, EventBus events, Clock clock, Predicate<String> reachable, Duration tick) {
        this.inventory = inventory;
        this.jdbc = jdbc;
        this.images = images;
        this.updates = updates;
        this.devices = devices;
        this.events = events;
        this.clock = clock;
        this.reachable = reachable;
        this.tick = tick;
    }

    @Override
    public void start() {
        updateEvents = events.subscribe(e -> EventTypes.FIRMWARE.equals(e.type()),
                e -> engine.execute(() -> onUpdateEvent(e)));
        engine.scheduleWithFixedDelay(this::tickQuietly, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Campaign create(NewCampaign request) {
        if (request.name() == null || request.name().isBlank() || request.name().length() > 255) {
            throw FleetException.invalid("name", "is required (at most 255 characters)");
        }
        images.get(request.imageId());
        if (request.concurrency() < 1 || request.concurrency() > 10_000) {
            throw FleetException.invalid("concurrency", "must be between 1 and 10000");
        }
        List<Integer> stages = request.stages() == null || request.stages().isEmpty() ? List.of(100)
                : request.stages();
        for (int i = 0; i < stages.size(); i++) {
            if (stages.get(i) < 1 || stages.get(i) > 100 || i > 0 && stages.get(i) <= stages.get(i - 1)) {
                throw FleetException.invalid("stages", "increasing percentages from 1 to 100, e.g. [1, 10, 100]");
            }
        }
        if (stages.get(stages.size() - 1) != 100) {
            throw FleetException.invalid("stages", "the last stage must be 100 (everyone)");
        }
        checkRatio(request.successThreshold(), "successThreshold");
        checkRatio(request.failureThreshold(), "failureThreshold");
        if (request.maxAttempts() < 1 || request.maxAttempts() > 20) {
            throw FleetException.invalid("maxAttempts", "must be between 1 and 20");
        }
        if ((request.windowStart() == null) != (request.windowEnd() == null)) {
            throw FleetException.invalid("window", "give both start and end, e.g. {\"start\": \"01:00\", \"end\": \"05:00\"}");
        }
        List<String> targets = targets(request);
        if (targets.isEmpty()) {
            throw FleetException.invalid(request.tag() != null ? "tag" : request.devices() != null ? "devices"
                    : "model", "selects no device");
        }
        Instant now = clock.instant();
        long id = jdbc.inTransaction(() -> {
            long campaign = jdbc.insert("INSERT INTO campaigns (name, image_id, status, concurrency, stages,"
                    + " current_stage, success_threshold, failure_threshold, max_attempts, retry_backoff_ms,"
                    + " created_at, window_start_min, window_end_min) VALUES (?, ?, 'running', ?, ?, 0, ?, ?, ?, ?, ?,"
                    + " ?, ?)", request.name(), request.imageId(), request.concurrency(), join(stages),
                    request.successThreshold(), request.failureThreshold(), request.maxAttempts(),
                    request.retryBackoff().toMillis(), now, minutes(request.windowStart()),
                    minutes(request.windowEnd()));
            for (int position = 0; position < targets.size(); position++) {
                jdbc.update("INSERT INTO campaign_devices (campaign_id, endpoint, position, stage, status, attempts,"
                        + " next_attempt_at) VALUES (?, ?, ?, ?, 'pending', 0, ?)", campaign, targets.get(position),
                        position, CampaignArithmetic.stageOf(position, targets.size(), stages), now);
            }
            return campaign;
        });
        LOG.info("campaign created id={} name={} image={} devices={} stages={} concurrency={}", id, request.name(),
                request.imageId(), targets.size(), stages, request.concurrency());
        publish(id, "created");
        engine.execute(this::tickQuietly);
        return get(id);
    }

    public Campaign get(long id) {
        return jdbc.queryOne(SELECT + " WHERE id = ?", Campaigns::map, id)
                .orElseThrow(() -> FleetException.notFound("no campaign " + id));
    }

    public List<Campaign> list() {
        return jdbc.query(SELECT + " ORDER BY id DESC", Campaigns::map);
    }

    /** The devices that failed at least once, in campaign order, at most {@code limit}. */
    public List<CampaignDevice> failures(long id, int limit) {
        return queryDevices(id, null, null, limit, " AND d.last_failure IS NOT NULL").stream()
                .map(Positioned::device).toList();
    }

    /**
     * One page of the campaign's devices in campaign order.
     *
     * @param state one of {@link #STATES}, or null for all
     * @param after the {@code nextCursor} of the previous page, or null for the first
     */
    public DevicePage devices(long id, String state, String after, int limit) {
        if (state != null && !STATES.contains(state)) {
            throw FleetException.invalid("state", "one of " + String.join(", ", STATES));
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw FleetException.invalid("limit", "must be between 1 and " + MAX_PAGE);
        }
        Integer position = null;
        if (after != null) {
            try {
                position = Integer.valueOf(after);
            } catch (NumberFormatException e) {
                throw FleetException.invalid("after", "is not a cursor of this list (use nextCursor)");
            }
        }
        get(id);
        // One more than asked tells whether there is a next page.
        List<Positioned> rows = queryDevices(id, state, position, limit + 1, "");
        boolean more = rows.size() > limit;
        List<Positioned> page = more ? rows.subList(0, limit) : rows;
        return new DevicePage(page.stream().map(Positioned::device).toList(),
                more ? String.valueOf(page.get(page.size() - 1).position()) : null);
    }

    /** A device with its place in the campaign's order, which is the cursor. */
    private record Positioned(int position, CampaignDevice device) {
    }

    private List<Positioned> queryDevices(long id, String state, Integer after, Integer limit, String where) {
        StringBuilder sql = new StringBuilder("SELECT d.position, d.endpoint, d.stage, d.status, " + STATE
                + " AS state, u.status AS update_status, d.attempts, d.update_id, d.last_failure"
                + " FROM campaign_devices d LEFT JOIN firmware_updates u ON u.id = d.update_id"
                + " WHERE d.campaign_id = ?" + where);
        List<Object> params = new ArrayList<>(List.of(id));
        if (state != null) {
            sql.append(" AND ").append(STATE).append(" = ?");
            params.add(state);
        }
        if (after != null) {
            sql.append(" AND d.position > ?");
            params.add(after);
        }
        sql.append(" ORDER BY d.position");
        if (limit != null) {
            sql.append(" LIMIT ?");
            params.add(limit);
        }
        return jdbc.query(sql.toString(), row -> {
            long updateId = row.getLong("update_id");
            Long update = row.wasNull() ? null : updateId;
            return new Positioned(row.getInt("position"), new CampaignDevice(row.getString("endpoint"),
                    row.getInt("stage"), row.getString("status"), row.getString("state"),
                    row.getString("update_status"), row.getInt("attempts"), update, row.getString("last_failure")));
        }, params.toArray());
    }

    /** Devices by state (see {@link CampaignDevice#state}), every state present, counted in SQL. */
    public Map<String, Long> counts(long id) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String state : STATES) {
            counts.put(state, 0L);
        }
        jdbc.query("SELECT " + STATE + " AS state, COUNT(*) AS n FROM campaign_devices d"
                + " LEFT JOIN firmware_updates u ON u.id = d.update_id WHERE d.campaign_id = ? GROUP BY " + STATE,
                row -> counts.merge(row.getString("state"), row.getLong("n"), Long::sum), id);
        return counts;
    }

    public Campaign pause(long id) {
        return setStatus(id, "running", "paused", "paused by an operator");
    }

    /** Resumes a paused campaign; devices that failed get their attempts again (the cause is meant to be fixed). */
    public Campaign resume(long id) {
        // On the engine's thread, so that no tick sees the campaign running with its old failures.
        Campaign campaign;
        try {
            campaign = engine.submit(() -> jdbc.inTransaction(() -> {
                jdbc.update("UPDATE campaign_devices SET status = 'pending', attempts = 0, next_attempt_at = ?"
                        + " WHERE campaign_id = ? AND status = 'failed'", clock.instant(), id);
                return setStatus(id, "paused", "running", null);
            })).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        engine.execute(this::tickQuietly);
        return campaign;
    }

    /** Stops starting updates; updates under way finish, pending devices are marked cancelled. */
    public Campaign cancel(long id) {
        Campaign campaign = get(id);
        if (campaign.status().equals("finished") || campaign.status().equals("cancelled")) {
            throw new FleetException(ProblemType.CONFLICT, null, "campaign " + id + " is already " + campaign.status());
        }
        jdbc.update("UPDATE campaigns SET status = 'cancelled', finished_at = ? WHERE id = ?", clock.instant(), id);
        jdbc.update("UPDATE campaign_devices SET status = 'cancelled' WHERE campaign_id = ? AND status = 'pending'",
                id);
        publish(id, "cancelled");
        return get(id);
    }

    // ---- the engine ----------------------------------------------------------------------------------------------

    private void tickQuietly() {
        try {
            reconcile();
            for (Campaign campaign : jdbc.query(SELECT + " WHERE status = 'running' ORDER BY id", Campaigns::map)) {
                advance(campaign);
            }
        } catch (RuntimeException e) {
            LOG.warn("campaign engine tick failed, will retry", e);
        }
    }

    private void advance(Campaign campaign) {
        long id = campaign.id();
        Map<String, Long> byStatus = statusCounts(id);
        long total = byStatus.values().stream().mapToLong(Long::longValue).sum();
        long failed = byStatus.getOrDefault("failed", 0L);
        if (CampaignArithmetic.failuresExceed(failed, total, campaign.failureThreshold())) {
            pauseItself(campaign, failed + " of " + total + " devices failed, above the failure threshold of "
                    + campaign.failureThreshold());
            return;
        }
        int stage = campaign.currentStage();
        long openInStage = count(id, "stage <= ? AND status IN ('pending', 'updating')", stage);
        if (openInStage == 0) {
            long succeeded = count(id, "stage <= ? AND status = 'succeeded'", stage);
            long done = succeeded + count(id, "stage <= ? AND status = 'failed'", stage);
            if (stage == campaign.stages().size() - 1) {
                jdbc.update("UPDATE campaigns SET status = 'finished', finished_at = ? WHERE id = ?",
                        clock.instant(), id);
                LOG.info("campaign finished id={} counts={}", id, byStatus);
                publish(id, "finished");
                return;
            }
            double ratio = CampaignArithmetic.successRatio(succeeded, done);
            if (ratio < campaign.successThreshold()) {
                pauseItself(campaign, "stage " + (stage + 1) + " succeeded on " + Math.round(ratio * 100)
                        + " % of its devices, below the " + Math.round(campaign.successThreshold() * 100)
                        + " % needed to go on");
                return;
            }
            jdbc.update("UPDATE campaigns SET current_stage = ? WHERE id = ?", stage + 1, id);
            LOG.info("campaign id={} opens stage {} of {}", id, stage + 2, campaign.stages().size());
            publish(id, "stage-opened");
            stage++;
        }
        long updating = byStatus.getOrDefault("updating", 0L);
        if (updating >= campaign.concurrency() || !inWindow(campaign)) {
            return;
        }
        List<String> next = jdbc.query("SELECT endpoint FROM campaign_devices WHERE campaign_id = ? AND stage <= ?"
                + " AND status = 'pending' AND next_attempt_at <= ? ORDER BY position", row -> row.getString("endpoint"),
                id, stage, clock.instant());
        for (String endpoint : next) {
            if (updating >= campaign.concurrency()) {
                break;
            }
            if (!reachable.test(endpoint)) {
                continue; // asleep or offline: it gets its turn when it is back
            }
            try {
                FirmwareUpdates.Update update = updates.start(endpoint, campaign.imageId());
                jdbc.update("UPDATE campaign_devices SET status = 'updating', attempts = attempts + 1, update_id = ?"
                        + " WHERE campaign_id = ? AND endpoint = ?", update.id(), id, endpoint);
                updating++;
            } catch (FleetException e) {
                retryOrFail(id, endpoint, campaign, e.getMessage(), false);
            }
        }
    }

    /**
     * Takes note of updates that ended without the campaign hearing of it (an event lost when the server stopped):
     * the database, not the events, is what a campaign goes by.
     */
    private void reconcile() {
        jdbc.query("SELECT d.campaign_id, d.endpoint, u.status, u.failure FROM campaign_devices d"
                + " JOIN firmware_updates u ON u.id = d.update_id JOIN campaigns c ON c.id = d.campaign_id"
                + " WHERE d.status = 'updating' AND u.status IN ('succeeded', 'failed')"
                + " AND c.status IN ('running', 'paused')", row -> new Object[] { row.getLong("campaign_id"),
                        row.getString("endpoint"), row.getString("status"), row.getString("failure") })
                .forEach(ended -> {
                    long campaignId = (Long) ended[0];
                    String endpoint = (String) ended[1];
                    if ("succeeded".equals(ended[2])) {
                        jdbc.update("UPDATE campaign_devices SET status = 'succeeded' WHERE campaign_id = ?"
                                + " AND endpoint = ?", campaignId, endpoint);
                    } else {
                        retryOrFail(campaignId, endpoint, get(campaignId), String.valueOf(ended[3]), true);
                    }
                });
    }

    /** A device's update ended: the campaign takes note, and a failed device is retried with back-off. */
    private void onUpdateEvent(FleetEvent event) {
        Object status = event.data().get("status");
        if (!"succeeded".equals(status) && !"failed".equals(status)) {
            return;
        }
        long updateId = ((Number) event.data().get("updateId")).longValue();
        jdbc.queryOne("SELECT campaign_id FROM campaign_devices WHERE update_id = ? AND status = 'updating'",
                row -> row.getLong("campaign_id"), updateId).ifPresent(campaignId -> {
                    if ("succeeded".equals(status)) {
                        jdbc.update("UPDATE campaign_devices SET status = 'succeeded' WHERE campaign_id = ?"
                                + " AND endpoint = ?", campaignId, event.endpoint());
                    } else {
                        retryOrFail(campaignId, event.endpoint(), get(campaignId),
                                String.valueOf(event.data().get("detail")), true);
                    }
                    publish(campaignId, "progress");
                    tickQuietly();
                });
    }

    private void retryOrFail(long campaignId, String endpoint, Campaign campaign, String reason, boolean attempted) {
        int attempts = jdbc.queryOne("SELECT attempts FROM campaign_devices WHERE campaign_id = ? AND endpoint = ?",
                row -> row.getInt("attempts"), campaignId, endpoint).orElse(0);
        if (attempted && attempts >= campaign.maxAttempts()) {
            jdbc.update("UPDATE campaign_devices SET status = 'failed', last_failure = ? WHERE campaign_id = ?"
                    + " AND endpoint = ?", reason, campaignId, endpoint);
            return;
        }
        long backoff = campaign.retryBackoffMillis() << Math.min(10, Math.max(0, attempts - 1));
        jdbc.update("UPDATE campaign_devices SET status = 'pending', last_failure = ?, next_attempt_at = ?"
                + " WHERE campaign_id = ? AND endpoint = ?", reason, clock.instant().plusMillis(backoff), campaignId,
                endpoint);
    }

    private void pauseItself(Campaign campaign, String reason) {
        jdbc.update("UPDATE campaigns SET status = 'paused', paused_reason = ? WHERE id = ? AND status = 'running'",
                reason, campaign.id());
        LOG.warn("campaign paused id={} reason={}", campaign.id(), reason);
        publish(campaign.id(), "paused");
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** The list and the tag add devices; model and firmware version, when given, keep only the devices that match. */
    private List<String> targets(NewCampaign request) {
        LinkedHashSet<String> targets = new LinkedHashSet<>();
        boolean filtered = request.model() != null || request.firmwareVersion() != null;
        List<String> matching = filtered ? inventory.select(request.model(), request.firmwareVersion()) : List.of();
        if (request.devices() == null && request.tag() == null) {
            return new ArrayList<>(matching);
        }
        if (request.devices() != null) {
            for (String endpoint : request.devices()) {
                devices.get(endpoint);
                targets.add(endpoint);
            }
        }
        if (request.tag() != null) {
            String cursor = null;
            do {
                var page = devices.list(new org.lwm2mfleet.server.device.DeviceQuery(null, request.tag(), null, null,
                        cursor, DeviceService.MAX_PAGE));
                page.items().forEach(d -> targets.add(d.endpoint()));
                cursor = page.nextCursor();
            } while (cursor != null);
        }
        if (filtered) {
            targets.retainAll(new java.util.HashSet<>(matching));
        }
        return new ArrayList<>(targets);
    }

    /** Whether now (UTC) is in the campaign's daily window; a window may run over midnight (22:00 to 04:00). */
    private boolean inWindow(Campaign campaign) {
        return CampaignArithmetic.inWindow(java.time.LocalTime.ofInstant(clock.instant(), java.time.ZoneOffset.UTC),
                campaign.windowStart(), campaign.windowEnd());
    }

    private static Integer minutes(java.time.LocalTime time) {
        return time == null ? null : time.getHour() * 60 + time.getMinute();
    }

    private static java.time.LocalTime time(java.sql.ResultSet row, String column) throws java.sql.SQLException {
        int minutes = row.getInt(column);
        return row.wasNull() ? null : java.time.LocalTime.of(minutes / 60, minutes % 60);
    }

    private Campaign setStatus(long id, String from, String to, String reason) {
        if (jdbc.update("UPDATE campaigns SET status = ?, paused_reason = ? WHERE id = ? AND status = ?", to, reason,
                id, from) == 0) {
            Campaign campaign = get(id);
            throw new FleetException(ProblemType.CONFLICT, null, "campaign " + id + " is " + campaign.status()
                    + ", not " + from);
        }
        publish(id, to);
        return get(id);
    }

    private Map<String, Long> statusCounts(long id) {
        Map<String, Long> counts = new LinkedHashMap<>();
        jdbc.query("SELECT status, COUNT(*) AS n FROM campaign_devices WHERE campaign_id = ? GROUP BY status", row -> {
            counts.put(row.getString("status"), row.getLong("n"));
            return null;
        }, id);
        return counts;
    }

    private long count(long id, String where, Object... params) {
        Object[] all = new Object[params.length + 1];
        all[0] = id;
        System.arraycopy(params, 0, all, 1, params.length);
        return jdbc.queryOne("SELECT COUNT(*) AS n FROM campaign_devices WHERE campaign_id = ? AND " + where,
                row -> row.getLong("n"), all).orElse(0L);
    }

    private void publish(long id, String what) {
        Campaign campaign = get(id);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("campaignId", id);
        data.put("event", what);
        data.put("status", campaign.status());
        data.put("stage", campaign.currentStage() + 1);
        data.put("counts", counts(id));
        if (campaign.pausedReason() != null) {
            data.put("reason", campaign.pausedReason());
        }
        events.publish(EventTypes.CAMPAIGN, null, data);
    }

    private static void checkRatio(double ratio, String field) {
        if (ratio < 0 || ratio > 1) {
            throw FleetException.invalid(field, "a ratio from 0 to 1");
        }
    }

    private static String join(List<Integer> stages) {
        return String.join(",", stages.stream().map(String::valueOf).toList());
    }

    private static final String SELECT = "SELECT id, name, image_id, status, concurrency, stages, current_stage,"
            + " success_threshold, failure_threshold, max_attempts, retry_backoff_ms, paused_reason, created_at,"
            + " finished_at, window_start_min, window_end_min FROM campaigns";

    private static Campaign map(java.sql.ResultSet row) throws java.sql.SQLException {
        return new Campaign(row.getLong("id"), row.getString("name"), row.getLong("image_id"),
                row.getString("status"), row.getInt("concurrency"),
                Arrays.stream(row.getString("stages").split(",")).map(Integer::valueOf).toList(),
                row.getInt("current_stage"), row.getDouble("success_threshold"), row.getDouble("failure_threshold"),
                row.getInt("max_attempts"), row.getLong("retry_backoff_ms"), row.getString("paused_reason"),
                Jdbc.instant(row, "created_at"), Jdbc.instant(row, "finished_at"), time(row, "window_start_min"),
                time(row, "window_end_min"));
    }

    @Override
    public void close() throws Exception {
        if (updateEvents != null) {
            updateEvents.close();
        }
        engine.shutdownNow();
    }
}
