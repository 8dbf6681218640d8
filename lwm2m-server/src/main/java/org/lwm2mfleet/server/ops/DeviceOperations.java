package org.lwm2mfleet.server.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.node.codec.CodecException;
import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.node.LwM2mObjectInstance;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.request.DownlinkDeviceManagementRequest;
import org.eclipse.leshan.core.request.ExecuteRequest;
import org.eclipse.leshan.core.request.ReadRequest;
import org.eclipse.leshan.core.request.WriteRequest;
import org.eclipse.leshan.core.request.WriteRequest.Mode;
import org.eclipse.leshan.core.request.exception.ClientSleepingException;
import org.eclipse.leshan.core.request.exception.TimeoutException;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.registration.Registration;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Read, write and execute on a registered device. Every request is checked against the device's model before it is
 * sent, has a timeout, and is timed per operation and outcome. Results come back as futures: no thread waits on a
 * device.
 */
public final class DeviceOperations {

    private final LeshanServer server;
    private final DeviceService devices;
    private final long timeoutMillis;
    private final MeterRegistry meters;

    public DeviceOperations(LeshanServer server, DeviceService devices, Duration timeout, MeterRegistry meters) {
        this.server = server;
        this.devices = devices;
        this.timeoutMillis = timeout.toMillis();
        this.meters = meters;
    }

    /** Reads an object, instance or resource; values come named and typed from the model. */
    public CompletableFuture<Map<String, Object>> read(String endpoint, String pathText) {
        Registration registration = registrationOf(endpoint);
        LwM2mModel model = server.getModelProvider().getObjectModel(registration);
        LwM2mPath path = ObjectPath.parse(pathText, model);
        if (path.isResource() && !ObjectPath.resource(path, model).operations.isReadable()) {
            throw new FleetException(ProblemType.INVALID_PATH, "path",
                    ResourceValues.describe(ObjectPath.resource(path, model)) + " is not readable");
        }
        return send("read", registration, new ReadRequest(path.toString()),
                (ReadResponse response) -> NodeJson.render(path, response.getContent(), model));
    }

    /**
     * Writes a resource ({@code {"value": ...}}) or several resources of an instance
     * ({@code {"resources": [{"id": 14, "value": "+02"}]}}), replacing them, or updating only those given when
     * {@code partial}.
     */
    public CompletableFuture<Void> write(String endpoint, String pathText, JsonNode body, boolean partial) {
        Registration registration = registrationOf(endpoint);
        LwM2mModel model = server.getModelProvider().getObjectModel(registration);
        LwM2mPath path = ObjectPath.parse(pathText, model);
        WriteRequest request;
        if (path.isResource()) {
            ResourceModel resource = writable(ObjectPath.resource(path, model));
            if (Boolean.TRUE.equals(resource.multiple)) {
                throw FleetException.invalid("path", ResourceValues.describe(resource)
                        + " is multi-instance: write its instances one by one for now");
            }
            request = new WriteRequest(Mode.REPLACE, null, path, ResourceValues.toResource(resource,
                    body == null ? null : body.get("value"), "value"));
        } else if (path.isObjectInstance()) {
            request = new WriteRequest(partial ? Mode.UPDATE : Mode.REPLACE, null, path,
                    new LwM2mObjectInstance(path.getObjectInstanceId(), resources(path, body, model)));
        } else {
            throw FleetException.invalid("path", "write a resource (/3/0/14) or an object instance (/3/0)");
        }
        return send("write", registration, request, response -> null);
    }

    /** Executes a resource, with optional arguments in the LwM2M execute-argument syntax. */
    public CompletableFuture<Void> execute(String endpoint, String pathText, String arguments) {
        Registration registration = registrationOf(endpoint);
        LwM2mModel model = server.getModelProvider().getObjectModel(registration);
        LwM2mPath path = ObjectPath.parse(pathText, model);
        if (!path.isResource()) {
            throw FleetException.invalid("path", "execute needs a resource path such as /3/0/4");
        }
        ResourceModel resource = ObjectPath.resource(path, model);
        if (!resource.operations.isExecutable()) {
            throw FleetException.invalid("path", ResourceValues.describe(resource) + " is not executable");
        }
        ExecuteRequest request;
        try {
            request = arguments == null || arguments.isEmpty() ? new ExecuteRequest(path.toString())
                    : new ExecuteRequest(path.toString(), arguments);
        } catch (RuntimeException e) {
            throw FleetException.invalid("arguments", "not valid execute arguments: " + e.getMessage());
        }
        return send("execute", registration, request, response -> null);
    }

    private List<LwM2mResource> resources(LwM2mPath path, JsonNode body, LwM2mModel model) {
        JsonNode list = body == null ? null : body.get("resources");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw FleetException.invalid("resources", "a non-empty list of {\"id\": ..., \"value\": ...} is required");
        }
        List<LwM2mResource> resources = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode item = list.get(i);
            String field = "resources[" + i + "]";
            if (!item.path("id").isInt()) {
                throw FleetException.invalid(field + ".id", "a resource id is required");
            }
            ResourceModel resource = model.getResourceModel(path.getObjectId(), item.get("id").asInt());
            if (resource == null) {
                throw FleetException.invalid(field + ".id",
                        "object " + path.getObjectId() + " has no resource " + item.get("id").asInt());
            }
            writable(resource);
            resources.add(ResourceValues.toResource(resource, item.get("value"), field + ".value"));
        }
        return resources;
    }

    private static ResourceModel writable(ResourceModel resource) {
        if (!resource.operations.isWritable()) {
            throw FleetException.invalid("path", ResourceValues.describe(resource) + " is not writable");
        }
        return resource;
    }

    private Registration registrationOf(String endpoint) {
        Registration registration = server.getRegistrationService().getByEndpoint(endpoint);
        if (registration == null) {
            devices.get(endpoint); // 404 when the device does not exist at all
            throw new FleetException(ProblemType.DEVICE_NOT_REGISTERED, null,
                    "device '" + endpoint + "' is not registered");
        }
        return registration;
    }

    private <T extends LwM2mResponse, R> CompletableFuture<R> send(String operation, Registration registration,
            DownlinkDeviceManagementRequest<T> request, Function<T, R> onSuccess) {
        CompletableFuture<R> result = new CompletableFuture<>();
        Timer.Sample sample = Timer.start(meters);
        try {
            server.send(registration, request, timeoutMillis, response -> {
                if (response.isSuccess()) {
                    try {
                        result.complete(onSuccess.apply(response));
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                } else {
                    result.completeExceptionally(refused(registration.getEndpoint(), request, response));
                }
            }, error -> result.completeExceptionally(failed(registration.getEndpoint(), error)));
        } catch (CodecException e) {
            throw FleetException.invalid("value", "cannot be encoded for the device: " + e.getMessage());
        }
        return result.whenComplete((value, error) -> sample.stop(meters.timer("lwm2m.requests", "operation",
                operation, "outcome", error == null ? "success" : outcome(error))));
    }

    private static FleetException refused(String endpoint, Object request, LwM2mResponse response) {
        ResponseCode code = response.getCode();
        String detail = "device '" + endpoint + "' answered " + code.getName()
                + (response.getErrorMessage() == null ? "" : ": " + response.getErrorMessage());
        return new FleetException(code.getCode() >= 500 ? ProblemType.DEVICE_ERROR : ProblemType.DEVICE_REFUSED,
                null, detail);
    }

    private static FleetException failed(String endpoint, Exception error) {
        if (error instanceof TimeoutException) {
            return new FleetException(ProblemType.DEVICE_TIMEOUT, null,
                    "device '" + endpoint + "' did not answer in time", error);
        }
        if (error instanceof ClientSleepingException) {
            return new FleetException(ProblemType.DEVICE_NOT_REGISTERED, null,
                    "device '" + endpoint + "' is sleeping", error);
        }
        return new FleetException(ProblemType.DEVICE_ERROR, null,
                "request to device '" + endpoint + "' failed: " + error.getMessage(), error);
    }

    private static String outcome(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
        return cause instanceof FleetException fleet ? fleet.type().name().toLowerCase() : "error";
    }
}
