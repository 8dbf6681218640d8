package org.lwm2mfleet.server.rules;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.concurrent.Executor;

import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.auth.AuditLog;
import org.lwm2mfleet.server.device.DevicePage;
import org.lwm2mfleet.server.device.DeviceQuery;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.ops.OperationDispatcher;
import org.lwm2mfleet.server.ops.OperationRequest;
import org.lwm2mfleet.server.runtime.Requester;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Carries out what a rule does when it fires or clears, without waiting for any of it: writes and executes go
 * through the operations dispatcher like a person's request (queued for a sleeping device, in the operation log as
 * requested by {@code rule:<id>}, in the audit log), alerts are raised and cleared, webhooks are called. The firing is
 * recorded at once with each action's first outcome, then updated with the final one.
 */
final class RuleActions {

    private static final Logger LOG = LoggerFactory.getLogger(RuleActions.class);

    private final Rules rules;
    private final Alerts alerts;
    private final DeviceService devices;
    private final OperationDispatcher dispatcher;
    private final AuditLog audit;
    private final WebhookSender webhooks;
    private final EventBus events;
    private final Clock clock;
    private final Duration pendingExpiry;
    private final MeterRegistry meters;
    /** Where outcomes arriving on network threads are written: never SQL on a CoAP or HTTP client thread. */
    private final Executor bookkeeping;

    RuleActions(Rules rules, Alerts alerts, DeviceService devices, OperationDispatcher dispatcher, AuditLog audit,
            WebhookSender webhooks, EventBus events, Clock clock, Duration pendingExpiry, MeterRegistry meters,
            Executor bookkeeping) {
        this.rules = rules;
        this.alerts = alerts;
        this.devices = devices;
        this.dispatcher = dispatcher;
        this.audit = audit;
        this.webhooks = webhooks;
        this.events = events;
        this.clock = clock;
        this.pendingExpiry = pendingExpiry;
        this.meters = meters;
        this.bookkeeping = bookkeeping;
    }

    /** The rule fired ({@code firing}) or cleared on {@code endpoint} with {@code value} (null: nothing reported). */
    void run(Rule rule, String endpoint, Object value, boolean firing) {
        String state = firing ? "raised" : "cleared";
        List<Map<String, Object>> outcomes = Collections.synchronizedList(new ArrayList<>());
        List<LongConsumer> later = new ArrayList<>();
        for (Rule.Action action : rule.actions()) {
            if (action instanceof Rule.Write write) {
                JsonNode written = firing ? write.value() : write.clearValue();
                if (written != null) {
                    for (String target : targets(write.endpoint(), write.tag())) {
                        later.add(operation(rule, "write", target, write.path(),
                                Json.MAPPER.createObjectNode().set("value", written), outcomes));
                    }
                }
            } else if (action instanceof Rule.Execute execute) {
                if (firing) {
                    for (String target : targets(execute.endpoint(), execute.tag())) {
                        later.add(operation(rule, "execute", target, execute.path(),
                                Json.MAPPER.createObjectNode().put("arguments", execute.arguments()), outcomes));
                    }
                }
            } else if (action instanceof Rule.RaiseAlert alert) {
                outcomes.add(alert(rule, endpoint, value, firing, alert));
            } else if (action instanceof Rule.CallWebhook webhook) {
                later.add(webhook(rule, endpoint, value, state, webhook, outcomes));
            }
        }
        long firingId = rules.recordFiring(rule.id(), endpoint, state, value, outcomes);
        later.forEach(action -> action.accept(firingId));
        meters.counter("rules.firings", "state", state).increment();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("ruleId", rule.id());
        data.put("rule", rule.name());
        data.put("firingId", firingId);
        data.put("state", state);
        data.put("path", rule.trigger().path());
        data.put("value", value);
        data.put("actions", List.copyOf(outcomes));
        events.publish(EventTypes.RULE, endpoint, data);
        LOG.info("rule {} {} endpoint={} path={} value={}", rule.id(), state, endpoint, rule.trigger().path(), value);
    }

    /** An action's final outcome is known: the firing record gets it (on the bookkeeping thread). */
    private void settled(long firingId, List<Map<String, Object>> outcomes, Map<String, Object> outcome,
            String result) {
        bookkeeping.execute(() -> {
            List<Map<String, Object>> snapshot;
            synchronized (outcomes) {
                outcome.put("outcome", result);
                snapshot = outcomes.stream().map(o -> (Map<String, Object>) new LinkedHashMap<>(o)).toList();
            }
            rules.updateFiringActions(firingId, snapshot);
        });
    }

    /** Prepares a write or execute; it runs once the firing is recorded, with the firing's id. */
    private LongConsumer operation(Rule rule, String type, String target, String path, JsonNode body,
            List<Map<String, Object>> outcomes) {
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("type", type);
        outcome.put("target", target + path);
        outcome.put("outcome", "sending");
        outcomes.add(outcome);
        String requester = "rule:" + rule.id();
        return firingId -> {
            try {
                OperationDispatcher.Submission submission = Requester.as(requester, () -> dispatcher.submit(
                        new OperationRequest(type, target, path, body, null, requester), pendingExpiry));
                if (submission.pendingId() != null) {
                    synchronized (outcomes) {
                        outcome.put("pendingId", submission.pendingId());
                    }
                    audit(requester, type, target + path, "queued as operation " + submission.pendingId());
                    settled(firingId, outcomes, outcome, "queued until the device wakes (operation "
                            + submission.pendingId() + ")");
                    return;
                }
                submission.result().whenComplete((result, failure) -> {
                    String text = failure == null ? "succeeded" : "failed: " + cause(failure).getMessage();
                    audit(requester, type, target + path, text);
                    settled(firingId, outcomes, outcome, text);
                });
            } catch (RuntimeException e) {
                audit(requester, type, target + path, "refused: " + e.getMessage());
                settled(firingId, outcomes, outcome, "refused: " + e.getMessage());
            }
        };
    }

    private void audit(String actor, String type, String target, String outcome) {
        bookkeeping.execute(() -> {
            try {
                audit.record(actor, "rule " + type, target, outcome);
            } catch (RuntimeException e) {
                LOG.error("audit entry lost: rule {} {} by {}: {}", type, target, actor, e.toString());
            }
        });
    }

    private Map<String, Object> alert(Rule rule, String endpoint, Object value, boolean firing,
            Rule.RaiseAlert action) {
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("type", "alert");
        outcome.put("severity", action.severity());
        if (firing) {
            var raised = alerts.raise(rule, endpoint, action.severity(), action.message(), value);
            outcome.put("outcome", raised.map(a -> "raised alert " + a.id()).orElse("already raised"));
            raised.ifPresent(a -> outcome.put("alertId", a.id()));
            if (rule.trigger().condition() == Rule.Condition.CHANGED) {
                // An event has no end: its alert is cleared at once and waits only to be acknowledged.
                alerts.clear(rule.id(), endpoint);
            }
        } else {
            List<Alert> cleared = alerts.clear(rule.id(), endpoint);
            outcome.put("outcome", cleared.isEmpty() ? "no alert to clear" : "cleared alert " + cleared.get(0).id());
        }
        return outcome;
    }

    private LongConsumer webhook(Rule rule, String endpoint, Object value, String state, Rule.CallWebhook webhook,
            List<Map<String, Object>> outcomes) {
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("type", "webhook");
        outcome.put("target", webhook.url().toString());
        outcome.put("outcome", "sending");
        outcomes.add(outcome);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("rule", Map.of("id", rule.id(), "name", rule.name()));
        payload.put("endpoint", endpoint);
        payload.put("state", state);
        payload.put("path", rule.trigger().path());
        payload.put("condition", rule.trigger().condition().id());
        payload.put("value", value);
        payload.put("at", clock.instant().toString());
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return firingId -> webhooks.deliver(webhook, body)
                .thenAccept(result -> settled(firingId, outcomes, outcome, result));
    }

    /** A named device, or every device with the tag. */
    private List<String> targets(String endpoint, String tag) {
        return endpoint != null ? List.of(endpoint) : endpoints(devices, new DeviceQuery(null, tag, null, null, null,
                DeviceService.MAX_PAGE));
    }

    /** Every endpoint the query matches, page after page. */
    static List<String> endpoints(DeviceService devices, DeviceQuery query) {
        List<String> endpoints = new ArrayList<>();
        String after = null;
        do {
            DevicePage page = devices.list(new DeviceQuery(query.status(), query.tag(), query.text(),
                    query.objectId(), after, DeviceService.MAX_PAGE));
            page.items().forEach(d -> endpoints.add(d.endpoint()));
            after = page.nextCursor();
        } while (after != null);
        return endpoints;
    }

    private static Throwable cause(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
    }
}
