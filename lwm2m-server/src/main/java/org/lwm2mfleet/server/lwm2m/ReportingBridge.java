package org.lwm2mfleet.server.lwm2m;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.observation.CompositeObservation;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.observation.SingleObservation;
import org.eclipse.leshan.core.request.SendRequest;
import org.eclipse.leshan.core.response.ObserveCompositeResponse;
import org.eclipse.leshan.core.response.ObserveResponse;
import org.eclipse.leshan.core.node.TimestampedLwM2mNode;
import org.eclipse.leshan.core.node.TimestampedLwM2mNodes;
import org.eclipse.leshan.server.observation.ObservationListener;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.send.SendListener;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.telemetry.DeviceTimestamps;
import org.lwm2mfleet.server.telemetry.NodePoints;
import org.lwm2mfleet.server.telemetry.TelemetryPoint;
import org.lwm2mfleet.server.telemetry.TelemetryWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns notifications (single and composite) and LwM2M Send reports into telemetry points and notification events.
 * Runs on CoAP threads: it flattens and hands over, the writer stores on its own thread.
 */
public final class ReportingBridge implements ObservationListener, SendListener {

    private static final Logger LOG = LoggerFactory.getLogger(ReportingBridge.class);

    private final TelemetryWriter writer;
    private final EventBus events;
    private final Clock clock;
    private final DeviceTimestamps timestamps;

    public ReportingBridge(TelemetryWriter writer, EventBus events, Clock clock, DeviceTimestamps timestamps) {
        this.timestamps = timestamps;
        this.writer = writer;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public void onResponse(SingleObservation observation, Registration registration, ObserveResponse response) {
        // Only notifications with SenML timestamps carry timestamped nodes; the others have plain content.
        List<TimestampedLwM2mNode> nodes = response.getTimestampedLwM2mNodes() != null
                ? response.getTimestampedLwM2mNodes()
                : List.of(new TimestampedLwM2mNode(null, response.getContent()));
        report(registration.getEndpoint(), "observe", NodePoints.of(registration.getEndpoint(),
                observation.getPath(), nodes, clock.instant(), "observe"));
    }

    @Override
    public void onResponse(CompositeObservation observation, Registration registration,
            ObserveCompositeResponse response) {
        TimestampedLwM2mNodes nodes = response.getTimestampedLwM2mNodes() != null
                ? response.getTimestampedLwM2mNodes()
                : TimestampedLwM2mNodes.builder().addNodes(response.getContent()).build();
        report(registration.getEndpoint(), "observe",
                NodePoints.of(registration.getEndpoint(), nodes, clock.instant(), "observe"));
    }

    @Override
    public void dataReceived(Registration registration, TimestampedLwM2mNodes data, SendRequest request) {
        report(registration.getEndpoint(), "send",
                NodePoints.of(registration.getEndpoint(), data, clock.instant(), "send"));
    }

    private void report(String endpoint, String source, List<TelemetryPoint> reported) {
        // Device clocks are not trusted with what is kept and for how long.
        List<TelemetryPoint> points = timestamps.admit(reported);
        if (points.isEmpty()) {
            return;
        }
        writer.offer(points);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("source", source);
        data.put("points", points.stream().map(p -> {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("path", p.path());
            point.put("time", java.time.Instant.ofEpochMilli(p.timeMillis()));
            point.put("value", p.number() != null && p.text() == null ? p.number() : p.text());
            return point;
        }).toList());
        events.publish(EventTypes.NOTIFICATION, endpoint, data);
    }

    @Override
    public void onError(Observation observation, Registration registration, Exception error) {
        LOG.warn("notification could not be read endpoint={} reason={}", registration.getEndpoint(),
                error.getMessage());
    }

    @Override
    public void onError(Registration registration, String errorMessage, Exception error) {
        LOG.warn("send report refused endpoint={} reason={}", registration.getEndpoint(), errorMessage);
    }

    @Override
    public void newObservation(Observation observation, Registration registration) {
    }

    @Override
    public void cancelled(Observation observation) {
    }
}
