package org.lwm2mfleet.server.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.link.DefaultLinkSerializer;
import org.eclipse.leshan.core.link.lwm2m.attributes.DefaultLwM2mAttributeParser;
import org.eclipse.leshan.core.link.attributes.InvalidAttributeException;
import org.eclipse.leshan.core.link.lwm2m.attributes.LwM2mAttributeSet;
import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.node.LwM2mNode;
import org.eclipse.leshan.core.node.LwM2mObjectInstance;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.node.codec.CodecException;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.core.request.CreateRequest;
import org.eclipse.leshan.core.request.DeleteRequest;
import org.eclipse.leshan.core.request.DiscoverRequest;
import org.eclipse.leshan.core.request.DownlinkDeviceManagementRequest;
import org.eclipse.leshan.core.request.ExecuteRequest;
import org.eclipse.leshan.core.request.ObserveCompositeRequest;
import org.eclipse.leshan.core.request.ObserveRequest;
import org.eclipse.leshan.core.request.ReadCompositeRequest;
import org.eclipse.leshan.core.request.ReadRequest;
import org.eclipse.leshan.core.request.WriteAttributesRequest;
import org.eclipse.leshan.core.request.WriteCompositeRequest;
import org.eclipse.leshan.core.request.WriteRequest;
import org.eclipse.leshan.core.request.WriteRequest.Mode;
import org.eclipse.leshan.core.request.exception.ClientSleepingException;
import org.eclipse.leshan.core.request.exception.InvalidRequestException;
import org.eclipse.leshan.core.request.exception.TimeoutException;
import org.eclipse.leshan.core.response.CreateResponse;
import org.eclipse.leshan.core.response.DiscoverResponse;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.core.response.ObserveCompositeResponse;
import org.eclipse.leshan.core.response.ObserveResponse;
import org.eclipse.leshan.core.response.ReadCompositeResponse;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.registration.Registration;
import org.lwm2mfleet.server.runtime.Requester;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Every server-initiated LwM2M operation on a registered device. Each request is checked against the device's model
 * before anything is sent, carries a timeout, is timed per operation and outcome, and is written to the device's
 * operation log. Results come back as futures: no thread waits on a device.
 */
public final class DeviceOperations {

    private static final DefaultLinkSerializer LINKS = new DefaultLinkSerializer();
    private static final java.util.Set<String> ATTRIBUTES = java.util.Set.of("pmin", "pmax", "gt", "lt", "st",
            "epmin", "epmax");

    private final LeshanServer server;
    private final DeviceService devices;
    private final long timeoutMillis;
    private final MeterRegistry meters;
    private final OperationLog log;
    private final ObservationRegistry observations;
    private final Clock clock;

    public DeviceOperations(LeshanServer server, DeviceService devices, Duration timeout, MeterRegistry meters,
            OperationLog log, ObservationRegistry observations, Clock clock) {
        this.server = server;
        this.devices = devices;
        this.timeoutMillis = timeout.toMillis();
        this.meters = meters;
        this.log = log;
        this.observations = observations;
        this.clock = clock;
    }

    // ---- reading -------------------------------------------------------------------------------------------------

    /** Reads an object, instance or resource; values come named and typed from the model. */
    public CompletableFuture<Map<String, Object>> read(String endpoint, String pathText, String format) {
        ContentFormat contentFormat = Formats.parse(format);
        return perform(endpoint, "read", pathText, (model, registration) -> {
            LwM2mPath path = readablePath(pathText, model);
            DeviceCapabilities.checkFormat(registration, contentFormat);
            return new ReadRequest(contentFormat, path.toString());
        }, (ReadResponse response, LwM2mModel model) -> NodeJson.render(new LwM2mPath(normalize(pathText)),
                response.getContent(), model));
    }

    /** Reads several paths, across objects, in one request (LwM2M 1.1). */
    public CompletableFuture<Map<String, Object>> readComposite(String endpoint, List<String> paths, String format) {
        ContentFormat contentFormat = Formats.parse(format);
        return perform(endpoint, "read-composite", String.join(",", paths), (model, registration) -> {
            List<LwM2mPath> checked = compositePaths(paths, model);
            ContentFormat f = DeviceCapabilities.compositeFormat(registration, contentFormat);
            return new ReadCompositeRequest(checked, f, f, null);
        }, (ReadCompositeResponse response, LwM2mModel model) -> composite(response.getContent(), model));
    }

    /** The object links (with attributes) the device reports under a path. */
    public CompletableFuture<Map<String, Object>> discover(String endpoint, String pathText) {
        return perform(endpoint, "discover", pathText, model -> {
            LwM2mPath path = ObjectPath.parse(pathText, model);
            if (path.isResourceInstance()) {
                throw FleetException.invalid("path", "discover an object, instance or resource");
            }
            return new DiscoverRequest(path.toString());
        }, (DiscoverResponse response, LwM2mModel model) -> Map.of("path", normalize(pathText), "links",
                LINKS.serializeCoreLinkFormat(response.getObjectLinks())));
    }

    // ---- writing -------------------------------------------------------------------------------------------------

    /**
     * Writes a resource ({@code {"value": ...}}, or {@code {"values": {"0": ..}}} for a multi-instance one) or
     * resources of an instance ({@code {"resources": [{"id": 14, "value": "+02"}]}}): replacing, or updating only
     * those given when {@code partial}.
     */
    public CompletableFuture<Map<String, Object>> write(String endpoint, String pathText, JsonNode body,
            boolean partial, String format) {
        ContentFormat contentFormat = Formats.parse(format);
        return perform(endpoint, partial ? "write-partial" : "write", pathText, (model, registration) -> {
            LwM2mPath path = ObjectPath.parse(pathText, model);
            DeviceCapabilities.checkFormat(registration, contentFormat);
            if (path.isResource()) {
                ResourceModel resource = writable(ObjectPath.resource(path, model));
                return new WriteRequest(partial && Boolean.TRUE.equals(resource.multiple) ? Mode.UPDATE : Mode.REPLACE,
                        contentFormat, path, ResourceValues.toResource(resource, body, ""));
            }
            if (path.isObjectInstance()) {
                return new WriteRequest(partial ? Mode.UPDATE : Mode.REPLACE, contentFormat, path,
                        new LwM2mObjectInstance(path.getObjectInstanceId(), resources(path.getObjectId(), body, model, true)));
            }
            throw FleetException.invalid("path", "write a resource (/3/0/14) or an object instance (/3/0)");
        }, (LwM2mResponse response, LwM2mModel model) -> Map.of("written", true));
    }

    /** Writes bytes to an opaque resource (a firmware push to /5/0/0): block-wise (Block1) when they are large. */
    public CompletableFuture<Map<String, Object>> writeBytes(String endpoint, String pathText, byte[] bytes) {
        return perform(endpoint, "write", pathText + " (" + bytes.length + " bytes)", model -> {
            LwM2mPath path = ObjectPath.parse(pathText, model);
            ResourceModel resource = writable(ObjectPath.resource(path, model));
            if (resource.type != org.eclipse.leshan.core.model.ResourceModel.Type.OPAQUE) {
                throw FleetException.invalid("path", ResourceValues.describe(resource) + " is not opaque");
            }
            return new WriteRequest(Mode.REPLACE, ContentFormat.OPAQUE, path,
                    LwM2mSingleResource.newBinaryResource(resource.id, bytes));
        }, (LwM2mResponse response, LwM2mModel model) -> Map.of("written", true, "bytes", bytes.length));
    }

    /** Writes single resources across objects in one request: {@code {"values": {"/3/0/14": "+02:00", ...}}}. */
    public CompletableFuture<Map<String, Object>> writeComposite(String endpoint, JsonNode body, String format) {
        ContentFormat contentFormat = Formats.parse(format);
        JsonNode values = body == null ? null : body.get("values");
        if (values == null || !values.isObject() || values.isEmpty()) {
            throw FleetException.invalid("values", "an object of {\"/path\": value} is required");
        }
        List<String> pathTexts = new ArrayList<>();
        values.fieldNames().forEachRemaining(pathTexts::add);
        return perform(endpoint, "write-composite", String.join(",", pathTexts), (model, registration) -> {
            ContentFormat f = DeviceCapabilities.compositeFormat(registration, contentFormat);
            Map<LwM2mPath, LwM2mNode> nodes = new LinkedHashMap<>();
            for (String text : pathTexts) {
                LwM2mPath path = ObjectPath.parse(text, model);
                if (!path.isResource()) {
                    throw FleetException.invalid("values." + text, "composite writes take resource paths");
                }
                ResourceModel resource = writable(ObjectPath.resource(path, model));
                if (Boolean.TRUE.equals(resource.multiple)) {
                    throw FleetException.invalid("values." + text, "composite writes take single resources");
                }
                nodes.put(path, LwM2mSingleResource.newResource(resource.id,
                        ResourceValues.toValue(resource, values.get(text), "values." + text), resource.type));
            }
            return new WriteCompositeRequest(f, nodes, null);
        }, (LwM2mResponse response, LwM2mModel model) -> Map.of("written", true));
    }

    /** Executes a resource, with optional arguments in the LwM2M execute-argument syntax ({@code 0='a',1}). */
    public CompletableFuture<Map<String, Object>> execute(String endpoint, String pathText, String arguments) {
        return perform(endpoint, "execute", pathText, model -> {
            LwM2mPath path = ObjectPath.parse(pathText, model);
            if (!path.isResource()) {
                throw FleetException.invalid("path", "execute needs a resource path such as /3/0/4");
            }
            ResourceModel resource = ObjectPath.resource(path, model);
            if (!resource.operations.isExecutable()) {
                throw FleetException.invalid("path", ResourceValues.describe(resource) + " is not executable");
            }
            try {
                return arguments == null || arguments.isEmpty() ? new ExecuteRequest(path.toString())
                        : new ExecuteRequest(path.toString(), arguments);
            } catch (InvalidRequestException e) {
                throw FleetException.invalid("arguments", "not valid execute arguments: " + e.getMessage());
            }
        }, (LwM2mResponse response, LwM2mModel model) -> Map.of("executed", true));
    }

    /** Creates an instance of an object: {@code {"instanceId": 1, "resources": [{"id": .., "value": ..}]}}. */
    public CompletableFuture<Map<String, Object>> create(String endpoint, String objectText, JsonNode body,
            String format) {
        ContentFormat contentFormat = Formats.parse(format);
        return perform(endpoint, "create", objectText, (model, registration) -> {
            LwM2mPath path = ObjectPath.parse(objectText, model);
            DeviceCapabilities.checkFormat(registration, contentFormat);
            if (!path.isObject()) {
                throw FleetException.invalid("path", "create takes an object path such as /3303");
            }
            // Create may set any resource of the new instance, read-only ones included.
            List<LwM2mResource> resources = resources(path.getObjectId(), body, model, false);
            JsonNode id = body.get("instanceId");
            if (id != null && !id.isNull()) {
                if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() > 65534) {
                    throw FleetException.invalid("instanceId", "must be 0 to 65534");
                }
                return new CreateRequest(contentFormat, path.getObjectId(),
                        new LwM2mObjectInstance(id.asInt(), resources));
            }
            return new CreateRequest(contentFormat, path.getObjectId(), resources);
        }, (CreateResponse response, LwM2mModel model) -> {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("created", true);
            json.put("location", response.getLocation());
            return json;
        });
    }

    /** Deletes an object instance. */
    public CompletableFuture<Map<String, Object>> delete(String endpoint, String pathText) {
        return perform(endpoint, "delete", pathText, model -> {
            LwM2mPath path = ObjectPath.parse(pathText, model);
            if (!path.isObjectInstance()) {
                throw FleetException.invalid("path", "delete takes an object instance path such as /3303/1");
            }
            return new DeleteRequest(path.getObjectId(), path.getObjectInstanceId());
        }, (LwM2mResponse response, LwM2mModel model) -> Map.of("deleted", true));
    }

    /** Sets notification attributes on a path, from a query such as {@code pmin=10&pmax=60&st=0.5}. */
    public CompletableFuture<Map<String, Object>> writeAttributes(String endpoint, String pathText,
            String attributes) {
        return perform(endpoint, "write-attributes", pathText + "?" + attributes, model -> {
            LwM2mPath path = ObjectPath.parse(pathText, model);
            return new WriteAttributesRequest(path, attributeSet(attributes));
        }, (LwM2mResponse response, LwM2mModel model) -> Map.of("written", true, "attributes", attributes));
    }

    // ---- observing -----------------------------------------------------------------------------------------------

    /**
     * Observes one path, or several as a composite observation; with attributes, writes them first. The observation
     * is remembered, and re-established whenever the device registers again.
     */
    public CompletableFuture<Map<String, Object>> observe(String endpoint, List<String> pathTexts, String attributes,
            String format) {
        if (pathTexts.isEmpty()) {
            throw FleetException.invalid("paths", "at least one path is required");
        }
        if (attributes != null) {
            attributeSet(attributes); // refuse bad attributes before anything is sent
        }
        Formats.parse(format);
        CompletableFuture<Map<String, Object>> first = attributes == null || pathTexts.size() > 1
                ? CompletableFuture.completedFuture(Map.of())
                : writeAttributes(endpoint, pathTexts.get(0), attributes);
        return first.thenCompose(ignored -> startObservation(endpoint, pathTexts, format))
                .thenApply(result -> {
                    observations.remember(endpoint, pathTexts, attributes, format);
                    Map<String, Object> json = new LinkedHashMap<>(result);
                    json.put("attributes", attributes);
                    return json;
                });
    }

    /** Sends the observe request alone: used by {@link #observe} and to re-establish remembered observations. */
    CompletableFuture<Map<String, Object>> startObservation(String endpoint, List<String> pathTexts, String format) {
        ContentFormat contentFormat = Formats.parse(format);
        if (pathTexts.size() == 1) {
            return perform(endpoint, "observe", pathTexts.get(0), (model, registration) -> {
                LwM2mPath path = readablePath(pathTexts.get(0), model);
                DeviceCapabilities.checkFormat(registration, contentFormat);
                return new ObserveRequest(contentFormat, path.toString());
            }, (ObserveResponse response, LwM2mModel model) -> {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("observing", List.of(normalize(pathTexts.get(0))));
                json.put("current", NodeJson.render(new LwM2mPath(normalize(pathTexts.get(0))),
                        response.getContent(), model));
                return json;
            });
        }
        return perform(endpoint, "observe-composite", String.join(",", pathTexts), (model, registration) -> {
            List<LwM2mPath> checked = compositePaths(pathTexts, model);
            ContentFormat f = DeviceCapabilities.compositeFormat(registration, contentFormat);
            return new ObserveCompositeRequest(f, f, checked.stream().map(LwM2mPath::toString).toArray(String[]::new));
        }, (ObserveCompositeResponse response, LwM2mModel model) -> {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("observing", pathTexts.stream().map(DeviceOperations::normalize).toList());
            json.put("current", composite(response.getContent(), model));
            return json;
        });
    }

    /** Stops observing (passive cancel: the next notification is refused) and forgets the observation. */
    public Map<String, Object> cancelObservation(String endpoint, List<String> pathTexts) {
        Registration registration = server.getRegistrationService().getByEndpoint(endpoint);
        boolean forgotten = observations.forget(endpoint, pathTexts);
        int cancelled = 0;
        if (registration != null) {
            String[] paths = pathTexts.stream().map(DeviceOperations::normalize).toArray(String[]::new);
            cancelled = paths.length == 1 ? server.getObservationService().cancelObservations(registration, paths[0])
                    : server.getObservationService().cancelCompositeObservations(registration, paths);
        }
        if (!forgotten && cancelled == 0) {
            throw FleetException.notFound("no observation of " + String.join(",", pathTexts) + " on " + endpoint);
        }
        log.record(endpoint, "cancel-observation", String.join(",", pathTexts), Requester.current(), clock.instant(), "success",
                null, 0);
        return Map.of("cancelled", true);
    }

    /**
     * Checks what can be checked of a request for a sleeping device before it is stored: that the device is
     * registered and the path is in its model. Values are checked when the operation runs.
     */
    void check(String endpoint, String operation, String pathText, JsonNode body, String format) {
        Registration registration = server.getRegistrationService().getByEndpoint(endpoint);
        if (registration == null) {
            devices.get(endpoint);
            throw new FleetException(ProblemType.DEVICE_NOT_REGISTERED, null,
                    "device '" + endpoint + "' is not registered");
        }
        DeviceCapabilities.checkOperation(registration, operation);
        ContentFormat contentFormat = Formats.parse(format);
        if (operation.endsWith("-composite")) {
            DeviceCapabilities.compositeFormat(registration, contentFormat);
        } else {
            DeviceCapabilities.checkFormat(registration, contentFormat);
        }
        LwM2mModel model = server.getModelProvider().getObjectModel(registration);
        if (pathText != null) {
            ObjectPath.parse(pathText, model);
        }
        if (operation.equals("write-attributes")) {
            attributeSet(body.asText());
        }
    }

    // ---- the one way to a device ---------------------------------------------------------------------------------

    private <T extends LwM2mResponse> CompletableFuture<Map<String, Object>> perform(String endpoint,
            String operation, String target, Function<LwM2mModel, DownlinkDeviceManagementRequest<T>> build,
            BiFunction<? super T, LwM2mModel, Map<String, Object>> render) {
        return perform(endpoint, operation, target, (model, registration) -> build.apply(model), render);
    }

    /** @param build the request from the device's model and registration (for what the registration says it takes) */
    private <T extends LwM2mResponse> CompletableFuture<Map<String, Object>> perform(String endpoint,
            String operation, String target,
            BiFunction<LwM2mModel, Registration, DownlinkDeviceManagementRequest<T>> build,
            BiFunction<? super T, LwM2mModel, Map<String, Object>> render) {
        Instant start = clock.instant();
        String requestedBy = Requester.current();
        Registration registration = server.getRegistrationService().getByEndpoint(endpoint);
        if (registration == null) {
            devices.get(endpoint); // 404 when the device does not exist at all
            throw new FleetException(ProblemType.DEVICE_NOT_REGISTERED, null,
                    "device '" + endpoint + "' is not registered");
        }
        DeviceCapabilities.checkOperation(registration, operation);
        LwM2mModel model = server.getModelProvider().getObjectModel(registration);
        DownlinkDeviceManagementRequest<T> request;
        try {
            request = build.apply(model, registration);
        } catch (InvalidRequestException e) {
            throw FleetException.invalid("path", e.getMessage());
        }
        CompletableFuture<Map<String, Object>> result = new CompletableFuture<>();
        Timer.Sample sample = Timer.start(meters);
        try {
            server.send(registration, request, timeoutMillis, response -> {
                if (response.isSuccess()) {
                    try {
                        result.complete(render.apply(response, model));
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                } else {
                    result.completeExceptionally(refused(endpoint, response));
                }
            }, error -> result.completeExceptionally(failed(endpoint, error)));
        } catch (CodecException e) {
            throw FleetException.invalid("value", "cannot be encoded for the device: " + e.getMessage());
        } catch (ClientSleepingException e) {
            // Leshan refuses at once a request to a queue-mode device that is not awake (an observe is not queued).
            throw failed(endpoint, e);
        }
        return result.whenComplete((value, error) -> {
            String outcome = error == null ? "success" : outcome(error);
            sample.stop(meters.timer("lwm2m.requests", "operation", operation, "outcome", outcome));
            log.record(endpoint, operation, target, requestedBy, start, outcome,
                    error == null ? null : cause(error).getMessage(),
                    Duration.between(start, clock.instant()).toMillis());
        });
    }

    // ---- checks against the model --------------------------------------------------------------------------------

    private static LwM2mPath readablePath(String text, LwM2mModel model) {
        LwM2mPath path = ObjectPath.parse(text, model);
        if ((path.isResource() || path.isResourceInstance())
                && !ObjectPath.resource(path, model).operations.isReadable()) {
            throw new FleetException(ProblemType.INVALID_PATH, "path",
                    ResourceValues.describe(ObjectPath.resource(path, model)) + " is not readable");
        }
        return path;
    }

    private static List<LwM2mPath> compositePaths(List<String> texts, LwM2mModel model) {
        if (texts.isEmpty()) {
            throw FleetException.invalid("paths", "at least one path is required");
        }
        List<LwM2mPath> paths = new ArrayList<>();
        for (String text : texts) {
            paths.add(readablePath(text, model));
        }
        return paths;
    }

    private static List<LwM2mResource> resources(int objectId, JsonNode body, LwM2mModel model,
            boolean mustBeWritable) {
        JsonNode list = body == null ? null : body.get("resources");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw FleetException.invalid("resources", "a non-empty list of {\"id\": ..., \"value\": ...} is required");
        }
        List<LwM2mResource> resources = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode item = list.get(i);
            String field = "resources[" + i + "]";
            if (!item.path("id").canConvertToInt()) {
                throw FleetException.invalid(field + ".id", "a resource id is required");
            }
            ResourceModel resource = model.getResourceModel(objectId, item.get("id").asInt());
            if (resource == null) {
                throw FleetException.invalid(field + ".id",
                        "object " + objectId + " has no resource " + item.get("id").asInt());
            }
            resources.add(ResourceValues.toResource(mustBeWritable ? writable(resource) : resource, item,
                    field + "."));
        }
        return resources;
    }

    private static ResourceModel writable(ResourceModel resource) {
        if (!resource.operations.isWritable()) {
            throw FleetException.invalid("path", ResourceValues.describe(resource) + " is not writable");
        }
        return resource;
    }

    private static LwM2mAttributeSet attributeSet(String query) {
        if (query == null || query.isBlank()) {
            throw FleetException.invalid("attributes", "give at least one of pmin, pmax, gt, lt, st, epmin, epmax");
        }
        for (String pair : query.split("&")) {
            String name = pair.split("=", 2)[0];
            if (!ATTRIBUTES.contains(name)) {
                throw FleetException.invalid("attributes", "unknown attribute '" + name
                        + "': one of pmin, pmax, gt, lt, st, epmin, epmax");
            }
        }
        try {
            return new LwM2mAttributeSet(new DefaultLwM2mAttributeParser().parseUriQuery(query));
        } catch (InvalidAttributeException | IllegalArgumentException e) {
            throw FleetException.invalid("attributes", e.getMessage());
        }
    }

    private static Map<String, Object> composite(Map<LwM2mPath, LwM2mNode> content, LwM2mModel model) {
        List<Object> nodes = new ArrayList<>();
        for (Iterator<Map.Entry<LwM2mPath, LwM2mNode>> it = content.entrySet().iterator(); it.hasNext();) {
            Map.Entry<LwM2mPath, LwM2mNode> entry = it.next();
            if (entry.getValue() != null) {
                nodes.add(NodeJson.render(entry.getKey(), entry.getValue(), model));
            }
        }
        return Map.of("nodes", nodes);
    }

    static String normalize(String path) {
        return path.startsWith("/") ? path : "/" + path;
    }

    // ---- failures ------------------------------------------------------------------------------------------------

    private static FleetException refused(String endpoint, LwM2mResponse response) {
        ResponseCode code = response.getCode();
        String text = response.getErrorMessage();
        // Leshan gives an empty message, not null, when the device sent no diagnostic payload.
        String detail = "device '" + endpoint + "' answered " + describe(code)
                + (text == null || text.isBlank() ? "" : ": " + text);
        return new FleetException(code.getCode() >= 500 ? ProblemType.DEVICE_ERROR : ProblemType.DEVICE_REFUSED,
                null, detail);
    }

    /**
     * "5.01 Not Implemented": the CoAP code and its name. Leshan names only the codes LwM2M lists and calls the
     * others UNKNOWN, so the name comes from Californium's table, which has every code of RFC 7252 and later.
     */
    static String describe(ResponseCode code) {
        String number = code.getCode() / 100 + "." + String.format("%02d", code.getCode() % 100);
        try {
            var coap = org.eclipse.californium.core.coap.CoAP.ResponseCode
                    .valueOf(org.eclipse.leshan.transport.californium.ResponseCodeUtil.toCoapCode(code.getCode()));
            return number + " " + words(coap.name());
        } catch (RuntimeException unknownCode) {
            return number;
        }
    }

    /** NOT_IMPLEMENTED becomes "Not Implemented". */
    private static String words(String constant) {
        StringBuilder words = new StringBuilder();
        for (String word : constant.split("_")) {
            if (!word.isEmpty()) {
                words.append(words.length() == 0 ? "" : " ").append(word.charAt(0))
                        .append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
            }
        }
        return words.toString();
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

    private static Throwable cause(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static String outcome(Throwable error) {
        return cause(error) instanceof FleetException fleet ? fleet.type().name().toLowerCase() : "error";
    }
}
