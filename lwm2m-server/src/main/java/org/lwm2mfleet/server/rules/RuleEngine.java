package org.lwm2mfleet.server.rules;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.lwm2mfleet.server.auth.AuditLog;
import org.lwm2mfleet.server.device.Device;
import org.lwm2mfleet.server.device.DeviceQuery;
import org.lwm2mfleet.server.device.DeviceRegistration;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.lwm2mfleet.server.ops.DeviceOperations;
import org.lwm2mfleet.server.ops.ObservationRegistry;
import org.lwm2mfleet.server.ops.OperationDispatcher;
import org.lwm2mfleet.server.runtime.Requester;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Evaluates the enabled rules against every reported value, in memory and incrementally: rules are indexed by the
 * path they watch, and each rule keeps a {@link RuleTrack} per device, so a value costs a map look-up plus the rules
 * on its path. Evaluation runs on one thread of its own, never on the CoAP thread that received the value; a sweep
 * on that thread every second fires rules that wait for time to pass (silence, minimum duration), by the injected
 * clock. Rules make the server observe the path they need on the devices they watch.
 */
public final class RuleEngine implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(RuleEngine.class);
    /**
     * How long a device's tags and objects, and a rule's tagged devices, are trusted before being read again (a
     * registration refreshes a device's at once).
     */
    private static final Duration FACTS_TTL = Duration.ofSeconds(60);

    private final Rules rules;
    private final DeviceService devices;
    private final DeviceOperations operations;
    private final ObservationRegistry observations;
    private final Clock clock;
    private final Predicate<String> registered;
    private final RuleActions actions;
    /**
     * Its own thread, not the shared scheduler: the rules' state (tracks, watched sets) is confined to it, and its
     * CPU time is what {@code rules.evaluation.cpu} reports. It starts in {@link #start}.
     */
    private final ScheduledExecutorService evaluator = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("rules"));
    private final EventBus events;
    private final MeterRegistry meters;
    private final WebhookSender webhooks;
    private final List<AutoCloseable> subscriptions = new ArrayList<>();

    /** Notifications waiting for evaluation beyond this are dropped (and counted) rather than filling the heap. */
    static final int MAX_BACKLOG = 100_000;
    private final java.util.concurrent.atomic.AtomicInteger backlog = new java.util.concurrent.atomic.AtomicInteger();
    private final io.micrometer.core.instrument.Counter dropped;
    /** The rules by the path they watch: replaced whole on reload, read by the notification path to skip the rest. */
    private volatile Map<String, List<Watcher>> byPath = Map.of();
    // Only touched on the evaluator thread.
    private List<Rule> timed = List.of();
    /** Per rule id, per endpoint: only devices the rule has something to remember about. */
    private final Map<Long, Map<String, RuleTrack>> tracks = new HashMap<>();
    /**
     * The devices with a tag, or of a profile, by "tag:x" or "profile:3": shared by the rules that watch them, read
     * from the registry in one go, and kept current for a device when it registers. Judging a notification is then a
     * set look-up per rule, never a query.
     */
    private final Map<String, Watched> watched = new HashMap<>();
    /** "selector path" pairs whose watched devices were asked to observe the path. */
    private final Set<String> observedFor = new HashSet<>();
    /**
     * The paths known to be observed, or being observed, per endpoint: a reload of many rules over many devices then
     * costs set look-ups, not queries. Forgotten for a device when it registers again (checked once more then).
     */
    private final Map<String, Set<String>> ensured = new java.util.concurrent.ConcurrentHashMap<>();
    /** When the rules were last (re)loaded: a device's silence counts from then at the latest. */
    private Instant loadedAt;

    private record DeviceFacts(List<String> tags, Set<Integer> objects) {
    }

    /** @param trigger one of the triggers with this selector, to tell members apart */
    private record Watched(Rule.Trigger trigger, Set<String> endpoints, Instant readAt) {
    }

    /** A rule with its selector worked out once, for the notification path. */
    private record Watcher(Rule rule, String selector) {
    }

    /**
     * @param registered whether an endpoint has a live registration now (its trigger path can be observed)
     * @param webhookBackOff the wait before a webhook's second attempt (doubling after)
     */
    public RuleEngine(Rules rules, Alerts alerts, DeviceService devices, OperationDispatcher dispatcher,
            DeviceOperations operations, ObservationRegistry observations, AuditLog audit, EventBus events,
            Clock clock, Duration pendingExpiry, Duration webhookBackOff, MeterRegistry meters,
            Predicate<String> registered, org.lwm2mfleet.server.runtime.Scheduler scheduler) {
        this.rules = rules;
        this.devices = devices;
        this.operations = operations;
        this.observations = observations;
        this.clock = clock;
        this.registered = registered;
        this.events = events;
        this.meters = meters;
        this.webhooks = new WebhookSender(webhookBackOff, meters, rules.webhookAddresses(), scheduler);
        this.actions = new RuleActions(rules, alerts, devices, dispatcher, audit, webhooks, events, clock,
                pendingExpiry, meters, evaluator);
        this.dropped = meters.counter("rules.evaluations.dropped");
    }

    /** Starts the evaluator thread and the webhook client, loads the rules, subscribes, schedules the sweep. */
    @Override
    public void start() {
        webhooks.start();
        subscriptions.add(webhooks);
        long evaluatorThread = evaluatorThreadId();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        // The rules' own cost, apart from the rest of the server's: what the benchmark sets against the notification path.
        io.micrometer.core.instrument.FunctionCounter.builder("rules.evaluation.cpu", threads,
                t -> Math.max(0, t.getThreadCpuTime(evaluatorThread)) / 1e9).baseUnit("seconds").register(meters);
        io.micrometer.core.instrument.Gauge.builder("rules.evaluations.backlog", backlog, Number::doubleValue)
                .register(meters);
        reload();
        subscriptions.add(events.subscribe(e -> EventTypes.NOTIFICATION.equals(e.type()) && watched(e),
                this::enqueue));
        subscriptions.add(events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()),
                e -> evaluator.execute(() -> registered(e.endpoint()))));
        evaluator.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    /** Rebuilds the index after a rule was saved, enabled, disabled or deleted; every rule starts afresh. */
    public void reload() {
        List<Rule> enabled = rules.all().stream().map(Rules.Stored::rule).filter(Rule::enabled).toList();
        Instant now = clock.instant();
        evaluator.execute(() -> {
            loadedAt = now;
            Map<String, List<Watcher>> index = new HashMap<>();
            List<Rule> waiting = new ArrayList<>();
            for (Rule rule : enabled) {
                index.computeIfAbsent(rule.trigger().path(), p -> new ArrayList<>())
                        .add(new Watcher(rule, selector(rule.trigger())));
                if (rule.trigger().condition() == Rule.Condition.SILENT || !rule.trigger().hold().isZero()) {
                    waiting.add(rule);
                }
            }
            byPath = index;
            timed = waiting;
            tracks.clear();
            for (Rule rule : enabled) {
                // Once per watched set and path: a hundred rules saved one after the other over the same devices
                // must not walk the whole fleet a hundred times each. Devices that register later are seen then.
                if (observedFor.add(selector(rule.trigger()) + " " + rule.trigger().path() + " "
                        + rule.trigger().attributes())) {
                    watchedBy(rule.trigger()).stream().filter(registered).forEach(endpoint -> observe(rule, endpoint));
                }
            }
        });
    }

    /** Whether any enabled rule watches a path of this notification: the others cost nothing more. */
    private boolean watched(FleetEvent event) {
        Map<String, List<Watcher>> index = byPath;
        if (index.isEmpty() || !(event.data().get("points") instanceof List<?> points)) {
            return false;
        }
        for (Object item : points) {
            if (item instanceof Map<?, ?> point && index.containsKey(String.valueOf(point.get("path")))) {
                return true;
            }
        }
        return false;
    }

    private void enqueue(FleetEvent event) {
        if (backlog.incrementAndGet() > MAX_BACKLOG) {
            backlog.decrementAndGet();
            dropped.increment();
            return;
        }
        evaluator.execute(() -> {
            backlog.decrementAndGet();
            evaluate(event);
        });
    }

    private void evaluate(FleetEvent event) {
        if (!(event.data().get("points") instanceof List<?> points)) {
            return;
        }
        Map<String, List<Watcher>> index = byPath;
        Instant now = clock.instant();
        String endpoint = event.endpoint();
        for (Object item : points) {
            if (!(item instanceof Map<?, ?> point)) {
                continue;
            }
            List<Watcher> watching = index.get(String.valueOf(point.get("path")));
            if (watching == null) {
                continue;
            }
            for (Watcher watcher : watching) {
                Rule rule = watcher.rule();
                try {
                    if (rule.trigger().endpoint() != null ? rule.trigger().endpoint().equals(endpoint)
                            : members(watcher.selector(), rule.trigger(), now).contains(endpoint)) {
                        reported(rule, endpoint, point.get("value"), now);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("rule {} failed on endpoint={} path={}", rule.id(), endpoint, rule.trigger().path(), e);
                }
            }
        }
    }

    /**
     * A device reported a value on a rule's path. A device the rule has nothing to remember about (not active, not
     * waiting for a hold, and the value does not meet the condition) costs no memory: state is kept only while it
     * matters, so thousands of devices under many rules stay cheap.
     */
    private void reported(Rule rule, String endpoint, Object value, Instant now) {
        Map<String, RuleTrack> ofRule = tracks.computeIfAbsent(rule.id(), id -> new HashMap<>());
        RuleTrack track = ofRule.get(endpoint);
        if (track == null) {
            if (!rule.trigger().keepsHistory() && !rule.trigger().holds(value)) {
                return;
            }
            track = new RuleTrack(rule.trigger(), loadedAt);
            ofRule.put(endpoint, track);
        }
        act(rule, endpoint, value, track.reported(value, now));
        if (!rule.trigger().keepsHistory() && track.idle()) {
            ofRule.remove(endpoint);
        }
    }

    /** Fires the rules that wait for time: silent devices, conditions that have held long enough. */
    private void sweep() {
        Instant now = clock.instant();
        for (Rule rule : timed) {
            try {
                List<String> endpoints = rule.trigger().condition() == Rule.Condition.SILENT
                        ? List.copyOf(watchedBy(rule.trigger()))
                        : List.copyOf(tracks.getOrDefault(rule.id(), Map.of()).keySet());
                for (String endpoint : endpoints) {
                    RuleTrack track = track(rule, endpoint);
                    act(rule, endpoint, track.lastValue(), track.tick(now));
                }
            } catch (RuntimeException e) {
                LOG.warn("rule {} sweep failed", rule.id(), e);
            }
        }
    }

    private void act(Rule rule, String endpoint, Object value, RuleTrack.Verdict verdict) {
        if (verdict != RuleTrack.Verdict.NONE) {
            actions.run(rule, endpoint, rule.trigger().condition() == Rule.Condition.SILENT
                    && verdict == RuleTrack.Verdict.FIRE ? null : value, verdict == RuleTrack.Verdict.FIRE);
        }
    }

    private RuleTrack track(Rule rule, String endpoint) {
        return tracks.computeIfAbsent(rule.id(), id -> new HashMap<>()).computeIfAbsent(endpoint,
                e -> new RuleTrack(rule.trigger(), loadedAt));
    }

    private DeviceFacts read(String endpoint) {
        Device device = devices.get(endpoint);
        Set<Integer> objects = new HashSet<>();
        if (device.registration() != null) {
            for (DeviceRegistration.AnnouncedObject object : device.registration().objects()) {
                objects.add(object.objectId());
            }
        }
        return new DeviceFacts(device.tags(), objects);
    }

    /** The devices a rule watches: one device, or the members of its tag or profile. */
    private Set<String> watchedBy(Rule.Trigger trigger) {
        return trigger.endpoint() != null ? Set.of(trigger.endpoint()) : members(selector(trigger), trigger, clock.instant());
    }

    /**
     * The devices with a tag or of a profile, read again from the registry once a minute (tags change through the
     * API without an event; a registration updates its device at once).
     */
    private Set<String> members(String selector, Rule.Trigger trigger, Instant now) {
        Watched known = watched.get(selector);
        if (known == null || known.readAt().plus(FACTS_TTL).isBefore(now)) {
            known = new Watched(trigger, new HashSet<>(RuleActions.endpoints(devices, new DeviceQuery(null,
                    trigger.tag(), null, trigger.profile(), null, DeviceService.MAX_PAGE))), now);
            watched.put(selector, known);
        }
        return known.endpoints();
    }

    private static String selector(Rule.Trigger trigger) {
        return trigger.endpoint() != null ? "endpoint:" + trigger.endpoint()
                : trigger.tag() != null ? "tag:" + trigger.tag() : "profile:" + trigger.profile();
    }

    /** A device registered: its facts may have changed, and the rules watching it need their path observed. */
    private void registered(String endpoint) {
        ensured.remove(endpoint);
        if (byPath.isEmpty()) {
            return;
        }
        DeviceFacts known;
        try {
            known = read(endpoint);
        } catch (RuntimeException e) {
            LOG.warn("rules could not look at endpoint={}: {}", endpoint, e.getMessage());
            return;
        }
        for (Watched members : watched.values()) {
            if (members.trigger().watches(endpoint, known.tags(), known.objects())) {
                members.endpoints().add(endpoint);
            } else {
                members.endpoints().remove(endpoint);
            }
        }
        for (List<Watcher> watching : byPath.values()) {
            for (Watcher watcher : watching) {
                Rule rule = watcher.rule();
                try {
                    if (rule.trigger().watches(endpoint, known.tags(), known.objects())) {
                        observe(rule, endpoint);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("rule {} could not look at endpoint={}: {}", rule.id(), endpoint, e.getMessage());
                }
            }
        }
    }

    /** A rule needs its trigger reported: observe it, with the rule's attributes, unless it is observed already. */
    private void observe(Rule rule, String endpoint) {
        String path = rule.trigger().path();
        Set<String> paths = ensured.computeIfAbsent(endpoint, e -> java.util.concurrent.ConcurrentHashMap.newKeySet());
        if (paths.contains(path)) {
            return; // observed, or asked already for another rule
        }
        if (observations.of(endpoint).stream().anyMatch(o -> o.paths().contains(path))) {
            paths.add(path);
            return; // remembered observations are re-established by the ObservationRestorer
        }
        paths.add(path);
        try {
            Requester.as("rule:" + rule.id(), () -> operations.observe(endpoint, List.of(path),
                    rule.trigger().attributes(), null)).whenComplete((result, failure) -> {
                        if (failure != null) {
                            paths.remove(path);
                            LOG.warn("rule {} could not observe endpoint={} path={}: {}", rule.id(), endpoint, path,
                                    failure.getMessage());
                        } else {
                            LOG.info("rule {} observes endpoint={} path={}", rule.id(), endpoint, path);
                        }
                    });
        } catch (RuntimeException e) {
            paths.remove(path);
            LOG.warn("rule {} could not observe endpoint={} path={}: {}", rule.id(), endpoint, path, e.getMessage());
        }
    }

    private long evaluatorThreadId() {
        try {
            return evaluator.submit(() -> Thread.currentThread().getId()).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        // The webhook sender was added first: subscriptions go first, then it.
        java.util.Collections.reverse(subscriptions);
        for (AutoCloseable subscription : subscriptions) {
            try {
                subscription.close();
            } catch (Exception e) {
                LOG.debug("unsubscribe failed", e);
            }
        }
        evaluator.shutdown();
        evaluator.awaitTermination(5, TimeUnit.SECONDS);
    }
}
