package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.net.InetAddress;
import java.nio.file.Path;

import org.eclipse.leshan.client.LeshanClient;
import org.eclipse.leshan.client.LeshanClientBuilder;
import org.eclipse.leshan.client.object.Security;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.resource.BaseInstanceEnabler;
import org.eclipse.leshan.client.resource.ObjectsInitializer;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.LwM2mId;
import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.request.argument.Arguments;
import org.eclipse.leshan.core.response.ExecuteResponse;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpointsProvider;
import org.eclipse.leshan.transport.californium.client.endpoint.coap.CoapClientProtocolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.profiles.Models;

/**
 * A device's error answers reach the operator with their CoAP code and name ("device answered 5.01 Not
 * Implemented"), whether LwM2M lists the code or not, and with the device's diagnostic text only when it sent one.
 * The device is a bare Leshan client whose Device object answers errors on purpose.
 */
class DeviceErrorAnswerTest {

    @TempDir
    static Path dir;
    static TestServer server;
    static LeshanClient client;

    /** Object 3 whose resources answer: 0 → 5.01 without text, 1 → 5.00 without text, 2 → 4.00 with text. */
    static final class FailingDevice extends BaseInstanceEnabler {
        @Override
        public ReadResponse read(LwM2mServer server, int resourceId) {
            return switch (resourceId) {
            case 0 -> new ReadResponse(new ResponseCode(501), null, null, null);
            case 1 -> ReadResponse.internalServerError(null);
            case 2 -> ReadResponse.badRequest("model number is not for you");
            case 16 -> ReadResponse.success(resourceId, "U"); // the client reads its own binding to register
            default -> ReadResponse.notFound();
            };
        }

        @Override
        public ExecuteResponse execute(LwM2mServer server, int resourceId, Arguments arguments) {
            return new ExecuteResponse(new ResponseCode(501), null);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        Api.Reply created = server.api().post("/api/v1/devices",
                "{\"endpoint\":\"errors-1\",\"credentials\":{\"kind\":\"none\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);

        ObjectsInitializer objects = new ObjectsInitializer(Models.MODEL);
        objects.setInstancesForObject(LwM2mId.SECURITY, Security.noSec(server.server().coapUri().toString(), 123));
        objects.setInstancesForObject(LwM2mId.SERVER, new Server(123, 300));
        objects.setInstancesForObject(LwM2mId.DEVICE, new FailingDevice());
        objects.setFactoryForObject(LwM2mId.DEVICE, new org.eclipse.leshan.client.resource.BaseInstanceEnablerFactory() {
            @Override
            public org.eclipse.leshan.client.resource.LwM2mInstanceEnabler create() {
                return new FailingDevice();
            }
        });
        CaliforniumClientEndpointsProvider.Builder endpoints = new CaliforniumClientEndpointsProvider.Builder(
                new CoapClientProtocolProvider());
        endpoints.setClientAddress(InetAddress.getLoopbackAddress());
        LeshanClientBuilder builder = new LeshanClientBuilder("errors-1");
        builder.setObjects(objects.createAll());
        builder.setEndpointsProviders(endpoints.build());
        client = builder.build();
        client.start();
        RegistryLifecycleTest.awaitStatus(server, "errors-1", "online");
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.destroy(true);
        }
        server.close();
    }

    @Test
    void anErrorOutsideLwM2msListIsNamedAndHasNoDanglingColon() {
        Api.Reply reply = server.api().get("/api/v1/devices/errors-1/objects/3/0/0");
        assertProblem(reply, 502, null);
        assertThat(reply.json().get("detail").asText()).isEqualTo("device 'errors-1' answered 5.01 Not Implemented");
    }

    @Test
    void anErrorWithoutTextEndsWithItsName() {
        Api.Reply reply = server.api().get("/api/v1/devices/errors-1/objects/3/0/1");
        assertProblem(reply, 502, null);
        assertThat(reply.json().get("detail").asText())
                .isEqualTo("device 'errors-1' answered 5.00 Internal Server Error");
    }

    @Test
    void anErrorWithTextKeepsIt() {
        Api.Reply reply = server.api().get("/api/v1/devices/errors-1/objects/3/0/2");
        assertProblem(reply, 422, null);
        assertThat(reply.json().get("detail").asText())
                .isEqualTo("device 'errors-1' answered 4.00 Bad Request: model number is not for you");
    }

    @Test
    void anExecuteAnsweredNotImplementedIsNamed() {
        Api.Reply reply = server.api().post("/api/v1/devices/errors-1/objects/3/0/4/execute", "{}");
        assertProblem(reply, 502, null);
        assertThat(reply.json().get("detail").asText())
                .isEqualTo("device 'errors-1' answered 5.01 Not Implemented");
    }
}
