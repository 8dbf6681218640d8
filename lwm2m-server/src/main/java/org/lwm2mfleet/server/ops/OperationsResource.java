package org.lwm2mfleet.server.ops;

import java.util.Map;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * REST for operations on a registered device: {@code GET} and {@code PUT .../objects/{path}} read and write,
 * {@code POST .../objects/{path}/execute} executes. The reply is sent when the device answers (or the timeout hits).
 */
public final class OperationsResource {

    private static final String OBJECTS = "/api/v1/devices/{endpoint}/objects/{path*}";

    private final DeviceOperations operations;

    public OperationsResource(DeviceOperations operations) {
        this.operations = operations;
    }

    public void register(Router router) {
        router.post(OBJECTS.replace("{path*}", "{path*}/execute"), this::execute);
        router.get(OBJECTS, this::read);
        router.put(OBJECTS, this::write);
    }

    private void read(Exchange exchange) {
        operations.read(exchange.path("endpoint"), exchange.path("path")).whenComplete((value, error) -> {
            if (error != null) {
                exchange.fail(error);
            } else {
                exchange.json(200, value);
            }
        });
    }

    private void write(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        boolean partial = "partial".equals(exchange.query("mode"));
        if (exchange.query("mode") != null && !partial && !"replace".equals(exchange.query("mode"))) {
            throw FleetException.invalid("mode", "one of replace, partial");
        }
        operations.write(exchange.path("endpoint"), exchange.path("path"), body, partial)
                .whenComplete((value, error) -> reply(exchange, error, Map.of("written", true)));
    }

    private void execute(Exchange exchange) {
        String arguments = null;
        JsonNode body = exchange.bodyJsonOrNull();
        if (body != null) {
            JsonNode args = body.get("arguments");
            if (args != null && !args.isNull() && !args.isTextual()) {
                throw FleetException.invalid("arguments", "must be a string such as \"0='a',1\"");
            }
            arguments = args == null || args.isNull() ? null : args.asText();
        }
        operations.execute(exchange.path("endpoint"), exchange.path("path"), arguments)
                .whenComplete((value, error) -> reply(exchange, error, Map.of("executed", true)));
    }

    private static void reply(Exchange exchange, Throwable error, Object body) {
        if (error != null) {
            exchange.fail(error);
        } else {
            exchange.json(200, body);
        }
    }
}
