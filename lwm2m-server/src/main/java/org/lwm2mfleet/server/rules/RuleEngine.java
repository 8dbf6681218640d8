package org.lwm2mfleet.server.rules;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.lwm2mfleet.server.DaemonThreads;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.device.DevicePage;
import org.lwm2mfleet.server.device.DeviceQuery;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.lwm2mfleet.server.ops.DeviceOperations;
import org.lwm2mfleet.server.ops.ObservationRegistry;
import org.lwm2mfleet.server.ops.OperationDispatcher;
import org.lwm2mfleet.server.ops.OperationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Evaluates the enabled rules against every reported value, in memory and incrementally: rules are indexed by the
 * path they watch, and whether a rule is active is kept per rule and device, so a value costs a map look-up plus
 * the rules on its path. Evaluation runs on one thread of its own, never on the CoAP thread that received the
 * value; actions go through the same dispatcher as a person's request, so a sleeping device gets them when it wakes.
 */
public final class RuleEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RuleEngine.class);

    private final Rules rules;
    private final DeviceService devices;
    private final OperationDispatcher dispatcher;
    private final EventBus events;
    private final Duration pendingExpiry;
    private final DeviceOperations operations;
    private final ObservationRegistry observations;
    private final Predicate<String> registered;
    private final ExecutorService evaluator = Executors.newSingleThreadExecutor(DaemonThreads.named("rules"));
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    private volatile Map<String, List<Rule>> byPath = Map.of();
    /** "ruleId endpoint" of every rule that fired on a device and has not cleared. */
    private final Set<String> active = ConcurrentHashMap.newKeySet();

    /**
     * @param registered whether an endpoint has a live registration now (its trigger path can be observed)
     */
    public RuleEngine(Rules rules, DeviceService devices, OperationDispatcher dispatcher, DeviceOperations operations,
            ObservationRegistry observations, EventBus events, Duration pendingExpiry, Predicate<String> registered) {
        this.rules = rules;
        this.devices = devices;
        this.dispatcher = dispatcher;
        this.operations = operations;
        this.observations = observations;
        this.events = events;
        this.pendingExpiry = pendingExpiry;
        this.registered = registered;
        reload();
        subscriptions.add(events.subscribe(e -> EventTypes.NOTIFICATION.equals(e.type()),
                e -> evaluator.execute(() -> evaluate(e))));
        subscriptions.add(events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()),
                e -> evaluator.execute(() -> observeTriggers(e.endpoint()))));
    }

    /** Rebuilds the path index after a rule was saved, enabled, disabled or deleted. */
    public void reload() {
        Map<String, List<Rule>> index = new ConcurrentHashMap<>();
        for (Rules.Stored stored : rules.all()) {
            if (stored.rule().enabled()) {
                index.computeIfAbsent(stored.rule().path(), p -> new ArrayList<>()).add(stored.rule());
            }
        }
        byPath = index;
        // A changed rule starts afresh: its next value decides.
        active.clear();
        evaluator.execute(this::observeAllTriggers);
    }

    /** A rule needs its trigger reported: observe it on every registered device the rule watches. */
    private void observeAllTriggers() {
        for (List<Rule> watching : byPath.values()) {
            for (Rule rule : watching) {
                List<String> endpoints = rule.endpoint() != null ? List.of(rule.endpoint()) : tagged(rule.tag());
                endpoints.stream().filter(registered).forEach(endpoint -> observe(rule, endpoint));
            }
        }
    }

    private void observeTriggers(String endpoint) {
        List<String> tags = null;
        for (List<Rule> watching : byPath.values()) {
            for (Rule rule : watching) {
                if (rule.tag() != null && tags == null) {
                    tags = devices.get(endpoint).tags();
                }
                if (rule.appliesTo(endpoint, tags == null ? List.of() : tags)) {
                    observe(rule, endpoint);
                }
            }
        }
    }

    private void observe(Rule rule, String endpoint) {
        boolean observed = observations.of(endpoint).stream().anyMatch(o -> o.paths().contains(rule.path()));
        if (observed) {
            return; // remembered observations are re-established by the ObservationRestorer
        }
        try {
            operations.observe(endpoint, List.of(rule.path()), null, null).whenComplete((result, failure) -> {
                if (failure != null) {
                    LOG.warn("rule {} could not observe endpoint={} path={}: {}", rule.id(), endpoint, rule.path(),
                            failure.getMessage());
                } else {
                    LOG.info("rule {} observes endpoint={} path={}", rule.id(), endpoint, rule.path());
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("rule {} could not observe endpoint={} path={}: {}", rule.id(), endpoint, rule.path(),
                    e.getMessage());
        }
    }

    private void evaluate(FleetEvent event) {
        Object points = event.data().get("points");
        if (!(points instanceof List<?> list)) {
            return;
        }
        Map<String, List<Rule>> index = byPath;
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> point) || !(point.get("value") instanceof Number number)) {
                continue;
            }
            List<Rule> watching = index.get(String.valueOf(point.get("path")));
            if (watching == null) {
                continue;
            }
            for (Rule rule : watching) {
                try {
                    evaluate(rule, event.endpoint(), number.doubleValue());
                } catch (RuntimeException e) {
                    LOG.warn("rule {} failed on endpoint={} path={}", rule.id(), event.endpoint(), rule.path(), e);
                }
            }
        }
    }

    private void evaluate(Rule rule, String endpoint, double value) {
        if (!rule.appliesTo(endpoint, rule.tag() == null ? List.of() : devices.get(endpoint).tags())) {
            return;
        }
        String key = rule.id() + " " + endpoint;
        if (!active.contains(key) && rule.fires(value)) {
            active.add(key);
            act(rule, endpoint, value, true);
        } else if (active.contains(key) && rule.clears(value)) {
            active.remove(key);
            act(rule, endpoint, value, false);
        }
    }

    private void act(Rule rule, String endpoint, double value, boolean firing) {
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (Rule.Action action : rule.actions()) {
            JsonNode body;
            if (action.type().equals("write")) {
                JsonNode written = firing ? action.value() : action.clearValue();
                if (written == null) {
                    continue;
                }
                body = Json.MAPPER.createObjectNode().set("value", written);
            } else if (firing) {
                body = Json.MAPPER.createObjectNode().put("arguments", action.arguments());
            } else {
                continue;
            }
            for (String target : targets(action)) {
                outcomes.add(run(action, target, body));
            }
        }
        String state = firing ? "raised" : "cleared";
        rules.recordFiring(rule.id(), endpoint, state, value, outcomes);
        Map<String, Object> data = new java.util.LinkedHashMap<>();
        data.put("ruleId", rule.id());
        data.put("rule", rule.name());
        data.put("state", state);
        data.put("value", value);
        data.put("actions", outcomes);
        events.publish(EventTypes.RULE, endpoint, data);
        LOG.info("rule {} {} endpoint={} path={} value={}", rule.id(), state, endpoint, rule.path(), value);
    }

    private List<String> targets(Rule.Action action) {
        return action.endpoint() != null ? List.of(action.endpoint()) : tagged(action.tag());
    }

    private List<String> tagged(String tag) {
        List<String> endpoints = new ArrayList<>();
        String after = null;
        do {
            DevicePage page = devices.list(new DeviceQuery(null, tag, null, null, after,
                    DeviceService.MAX_PAGE));
            page.items().forEach(d -> endpoints.add(d.endpoint()));
            after = page.nextCursor();
        } while (after != null);
        return endpoints;
    }

    private Map<String, Object> run(Rule.Action action, String target, JsonNode body) {
        Map<String, Object> outcome = new java.util.LinkedHashMap<>();
        outcome.put("type", action.type());
        outcome.put("target", target + action.path());
        try {
            OperationDispatcher.Submission submission = dispatcher.submit(
                    new OperationRequest(action.type(), target, action.path(), body, null), pendingExpiry);
            if (submission.pendingId() != null) {
                outcome.put("outcome", "queued");
                outcome.put("pendingId", submission.pendingId());
            } else {
                // The firing record should not wait for a slow device: the operation log has the final outcome.
                submission.result().whenComplete((result, failure) -> {
                    if (failure != null) {
                        LOG.warn("rule action failed: {} {}: {}", action.type(), target + action.path(),
                                failure.getMessage());
                    }
                });
                outcome.put("outcome", "sent");
            }
        } catch (RuntimeException e) {
            outcome.put("outcome", "refused: " + e.getMessage());
        }
        return outcome;
    }

    @Override
    public void close() throws InterruptedException {
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
