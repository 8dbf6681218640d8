package org.lwm2mfleet.server.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.registration.Registration;
import org.lwm2mfleet.server.runtime.Requester;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Runs an {@link OperationRequest} now, or, when the device is registered in queue mode and asleep, stores it as a
 * pending operation that runs when the device wakes.
 */
public final class OperationDispatcher {

    /** What became of a request: a result to come, or a pending operation's id. */
    public record Submission(CompletableFuture<Map<String, Object>> result, Long pendingId) {
    }

    private final DeviceOperations operations;
    private final LeshanServer server;
    private PendingOperations pending;
    private volatile Function<String, List<Map<String, Object>>> lastKnown = endpoint -> List.of();
    private volatile Clock clock = Clock.systemUTC();

    public OperationDispatcher(DeviceOperations operations, LeshanServer server) {
        this.operations = operations;
        this.server = server;
    }

    void setPending(PendingOperations pending) {
        this.pending = pending;
    }

    /**
     * @param lastKnown the newest reported value of each path of a device, as {@code path}, {@code time},
     *        {@code value}, {@code type} (the telemetry's latest points)
     * @param clock to tell how old a last known value is
     */
    public void setLastKnown(Function<String, List<Map<String, Object>>> lastKnown, Clock clock) {
        this.lastKnown = lastKnown;
        this.clock = clock;
    }

    public Submission submit(OperationRequest request, java.time.Duration expiresIn) {
        return submit(request, expiresIn, true);
    }

    /**
     * @param mayQueue whether the caller may leave a pending operation for a sleeping device; one who may not (a
     *        viewer, who creates nothing) gets a 409 saying the device sleeps, with the last known values instead
     */
    public Submission submit(OperationRequest request, java.time.Duration expiresIn, boolean mayQueue) {
        Registration registration = server.getRegistrationService().getByEndpoint(request.endpoint());
        if (registration != null && registration.usesQueueMode()
                && !server.getPresenceService().isClientAwake(registration)) {
            check(request); // refuse what could never be sent before storing it
            if (!mayQueue) {
                throw asleep(request);
            }
            return new Submission(null, pending.enqueue(request, expiresIn));
        }
        return new Submission(run(request), null);
    }

    /** The 409 for a request that would have to wait for the device: with what the server last heard of the paths. */
    private FleetException asleep(OperationRequest request) {
        List<String> paths = request.operation().equals("read-composite") ? paths(request.body())
                : request.operation().equals("discover") ? List.of() : List.of(request.path());
        Instant now = clock.instant();
        List<Map<String, Object>> known = new ArrayList<>();
        for (Map<String, Object> point : lastKnown.apply(request.endpoint())) {
            String path = String.valueOf(point.get("path"));
            if (paths.stream().anyMatch(p -> path.equals(p) || path.startsWith(p.endsWith("/") ? p : p + "/"))) {
                Map<String, Object> value = new LinkedHashMap<>(point);
                if (point.get("time") instanceof Instant at) {
                    value.put("ageSeconds", Math.max(0, Duration.between(at, now).toSeconds()));
                }
                known.add(value);
            }
        }
        String detail = "device '" + request.endpoint() + "' is asleep (queue mode); a viewer's " + request.operation()
                + " does not wait for it to wake"
                + (known.isEmpty() ? ", and the server holds no reported value of " + String.join(", ", paths)
                        : ": lastKnown holds the newest value the device reported");
        return new FleetException(ProblemType.DEVICE_ASLEEP, null, detail, Map.of("lastKnown", known));
    }

    /** Sends the request to the device now. */
    CompletableFuture<Map<String, Object>> run(OperationRequest r) {
        return r.requestedBy() == null ? send(r) : Requester.as(r.requestedBy(), () -> send(r));
    }

    private CompletableFuture<Map<String, Object>> send(OperationRequest r) {
        return switch (r.operation()) {
        case "read" -> operations.read(r.endpoint(), r.path(), r.format());
        case "write" -> operations.write(r.endpoint(), r.path(), r.body(), false, r.format());
        case "write-partial" -> operations.write(r.endpoint(), r.path(), r.body(), true, r.format());
        case "execute" -> operations.execute(r.endpoint(), r.path(), arguments(r.body()));
        case "create" -> operations.create(r.endpoint(), r.path(), r.body(), r.format());
        case "delete" -> operations.delete(r.endpoint(), r.path());
        case "discover" -> operations.discover(r.endpoint(), r.path());
        case "write-attributes" -> operations.writeAttributes(r.endpoint(), r.path(), r.body().asText());
        case "read-composite" -> operations.readComposite(r.endpoint(), paths(r.body()), r.format());
        case "write-composite" -> operations.writeComposite(r.endpoint(), r.body(), r.format());
        default -> throw FleetException.invalid("operation", "unknown operation " + r.operation());
        };
    }

    /** Checks a request against the device's model without sending it (the same checks {@link #run} makes). */
    private void check(OperationRequest request) {
        operations.check(request.endpoint(), request.operation(), request.path(), request.body(), request.format());
    }

    static String arguments(JsonNode body) {
        if (body == null) {
            return null;
        }
        JsonNode args = body.get("arguments");
        if (args != null && !args.isNull() && !args.isTextual()) {
            throw FleetException.invalid("arguments", "must be a string such as \"0='a',1\"");
        }
        return args == null || args.isNull() ? null : args.asText();
    }

    static List<String> paths(JsonNode body) {
        JsonNode paths = body == null ? null : body.get("paths");
        if (paths == null || !paths.isArray() || paths.isEmpty()) {
            throw FleetException.invalid("paths", "a non-empty list of paths is required");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode path : paths) {
            if (!path.isTextual()) {
                throw FleetException.invalid("paths", "paths are strings such as \"/3303/0/5700\"");
            }
            list.add(path.asText());
        }
        return list;
    }
}
