package org.lwm2mfleet.server.events;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes domain events to whoever listens inside the server (the event stream, later rules and campaigns).
 * Delivery is synchronous on the publishing thread, so a subscriber must only hand the event off (to a queue) and
 * return; one failing subscriber never stops the others.
 */
public final class EventBus {

    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private record Subscriber(Predicate<FleetEvent> filter, Consumer<FleetEvent> consumer) {
    }

    private final Clock clock;
    private final AtomicLong sequence = new AtomicLong();
    private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    public EventBus(Clock clock) {
        this.clock = clock;
    }

    public FleetEvent publish(String type, String endpoint, Map<String, Object> data) {
        FleetEvent event = new FleetEvent(sequence.incrementAndGet(), type, endpoint, clock.instant(), data);
        for (Subscriber subscriber : subscribers) {
            if (subscriber.filter().test(event)) {
                try {
                    subscriber.consumer().accept(event);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // The subscriber's executor is shut down: the server is stopping.
                    LOG.debug("event {} not handed over, subscriber stopped", type);
                } catch (RuntimeException e) {
                    LOG.warn("event subscriber failed on {} for {}", type, endpoint, e);
                }
            }
        }
        return event;
    }

    /** Subscribes until the returned handle is closed. */
    public AutoCloseable subscribe(Predicate<FleetEvent> filter, Consumer<FleetEvent> consumer) {
        Subscriber subscriber = new Subscriber(filter, consumer);
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }
}
