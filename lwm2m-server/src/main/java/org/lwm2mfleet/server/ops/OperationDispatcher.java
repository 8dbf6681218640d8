package org.lwm2mfleet.server.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.registration.Registration;
import org.lwm2mfleet.server.error.FleetException;

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

    public OperationDispatcher(DeviceOperations operations, LeshanServer server) {
        this.operations = operations;
        this.server = server;
    }

    void setPending(PendingOperations pending) {
        this.pending = pending;
    }

    public Submission submit(OperationRequest request, java.time.Duration expiresIn) {
        Registration registration = server.getRegistrationService().getByEndpoint(request.endpoint());
        if (registration != null && registration.usesQueueMode()
                && !server.getPresenceService().isClientAwake(registration)) {
            check(request); // refuse what could never be sent before storing it
            return new Submission(null, pending.enqueue(request, expiresIn));
        }
        return new Submission(run(request), null);
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
