package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Registrations written by hand, as LwM2M 1.0 devices and IPSO sensors send them (no Leshan client, whose own
 * registrations are always well-formed 1.1): quoted versions, objects without a version, a version the server has no
 * model of. The "device" is a bare Californium endpoint on loopback that registers and answers one resource.
 */
class RegistrationVersionsTest {

    @TempDir
    static Path dir;
    static TestServer server;
    static CoapServer device;
    static CoapEndpoint deviceEndpoint;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.allowUnknownCoap(true).requestTimeout(java.time.Duration.ofSeconds(3)));
        CoapConfig.register();
        UdpConfig.register();
        Configuration configuration = Configuration.createStandardWithoutFile();
        deviceEndpoint = new CoapEndpoint.Builder().setConfiguration(configuration)
                .setInetSocketAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).build();
        device = new CoapServer(configuration);
        device.addEndpoint(deviceEndpoint);
        // The temperature, as a plain-text value: what the server asks of a 1.0 device reading one resource.
        device.add(new CoapResource("3303").add(new CoapResource("0").add(new CoapResource("5700") {
            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond(ResponseCode.CONTENT, "21.5", MediaTypeRegistry.TEXT_PLAIN);
            }
        })));
        device.start();
    }

    @AfterAll
    static void stop() throws Exception {
        device.destroy();
        server.close();
    }

    @Test
    void quotedVersionsOfA10ClientAreAcceptedAndStoredUnquoted() {
        // TS 1.0 section 6.2.3 and its examples write the versions in quotes.
        CoapResponse response = register("quoted-10", "lwm2m=\"1.0\"",
                "</>;rt=\"oma.lwm2m\",</1/0>,</3/0>,</10>;ver=\"1.1\",</3303>;ver=\"1.1\",</3303/0>");
        assertThat(response.getCode()).as(response.getResponseText()).isEqualTo(ResponseCode.CREATED);

        JsonNode found = RegistryLifecycleTest.awaitStatus(server, "quoted-10", "online");
        JsonNode registration = found.get("registration");
        assertThat(registration.get("lwm2mVersion").asText()).isEqualTo("1.0");
        assertThat(object(registration, "/10").get("version").asText()).isEqualTo("1.1");
        assertThat(object(registration, "/3303/0").get("version").asText()).isEqualTo("1.1");
        assertThat(registration.get("objectLinks").asText()).contains("</10>;ver=1.1").doesNotContain("\"1.1\"");

        // The device list shows it, as 1.0.
        JsonNode list = server.api().get("/api/v1/devices?q=quoted-10").json();
        assertThat(list.get("items")).anySatisfy(d -> {
            assertThat(d.get("endpoint").asText()).isEqualTo("quoted-10");
            assertThat(d.get("lwm2mVersion").asText()).isEqualTo("1.0");
        });
    }

    @Test
    void quotedObjectVersionOfA11ClientIsAcceptedToo() {
        CoapResponse response = register("quoted-11", "lwm2m=1.1", "</1/0>,</3/0>,</3303>;ver=\"1.1\",</3303/0>");
        assertThat(response.getCode()).as(response.getResponseText()).isEqualTo(ResponseCode.CREATED);
        JsonNode registration = RegistryLifecycleTest.awaitStatus(server, "quoted-11", "online").get("registration");
        assertThat(object(registration, "/3303/0").get("version").asText()).isEqualTo("1.1");
    }

    @Test
    void objectWithoutVersionIsVersion10AndHasItsModel() {
        // Many IPSO sensors announce </3303/0> alone: Temperature 1.0 (TS 1.1 section 7.2.2).
        CoapResponse response = register("ipso-10", "lwm2m=1.0", "</1/0>,</3/0>,</3303/0>");
        assertThat(response.getCode()).as(response.getResponseText()).isEqualTo(ResponseCode.CREATED);

        JsonNode temperature = object(
                RegistryLifecycleTest.awaitStatus(server, "ipso-10", "online").get("registration"), "/3303/0");
        assertThat(temperature.get("version").asText()).isEqualTo("1.0");
        assertThat(temperature.get("name").asText()).isEqualTo("Temperature");
        assertThat(temperature.get("modelVersion").asText()).isEqualTo("1.0");
        assertThat(temperature.get("versionAssumed").asBoolean()).isFalse();

        Api.Reply read = server.api().get("/api/v1/devices/ipso-10/objects/3303/0/5700");
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        assertThat(read.json().get("value").asDouble()).isEqualTo(21.5);
        assertThat(read.json().get("type").asText()).isEqualTo("FLOAT");
    }

    @Test
    void versionTheServerLacksFallsBackToTheNearestAndIsMarkedAssumed() {
        CoapResponse response = register("future-temperature", "lwm2m=1.1", "</1/0>,</3/0>,</3303>;ver=1.7,</3303/0>");
        assertThat(response.getCode()).as(response.getResponseText()).isEqualTo(ResponseCode.CREATED);

        JsonNode temperature = object(
                RegistryLifecycleTest.awaitStatus(server, "future-temperature", "online").get("registration"),
                "/3303/0");
        assertThat(temperature.get("version").asText()).isEqualTo("1.7");
        assertThat(temperature.get("modelVersion").asText()).isEqualTo("1.1");
        assertThat(temperature.get("versionAssumed").asBoolean()).isTrue();
        assertThat(temperature.get("name").asText()).isEqualTo("Temperature");

        // Operations use the assumed model instead of refusing "object 3303 is not in the device's model".
        Api.Reply read = server.api().get("/api/v1/devices/future-temperature/objects/3303/0/5700");
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        assertThat(read.json().get("value").asDouble()).isEqualTo(21.5);
        assertThat(read.json().get("name").asText()).isEqualTo("Sensor Value");
    }

    @Test
    void formatsA11DeviceDidNotAnnounceAreRefusedAtOnce() {
        // A 1.1 device that announces its formats (ct on the root link): TLV only.
        CoapResponse response = register("tlv-only", "lwm2m=1.1",
                "</>;rt=\"oma.lwm2m\";ct=11542,</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>");
        assertThat(response.getCode()).as(response.getResponseText()).isEqualTo(ResponseCode.CREATED);
        RegistryLifecycleTest.awaitStatus(server, "tlv-only", "online");

        Api.Reply senml = server.api().get("/api/v1/devices/tlv-only/objects/3303/0/5700?format=senml-json");
        DeviceOperationsTest.assertProblem(senml, 400, "format");
        assertThat(senml.json().get("detail").asText()).contains("SENML_JSON").contains("TLV");
        Api.Reply composite = server.api().post("/api/v1/devices/tlv-only/composite:read",
                "{\"paths\": [\"/3303/0/5700\"]}");
        DeviceOperationsTest.assertProblem(composite, 400, "format");
        // What it announced, and what 1.1 makes mandatory, are still asked for.
        Api.Reply text = server.api().get("/api/v1/devices/tlv-only/objects/3303/0/5700?format=text");
        assertThat(text.status()).as(text.text()).isEqualTo(200);
    }

    private static CoapResponse register(String endpoint, String lwm2m, String links) {
        Request request = Request.newPost();
        request.setURI("coap://127.0.0.1:" + server.server().coapPort() + "/rd");
        // Added as options, not in the URI: java.net.URI refuses the quotes a 1.0 device sends.
        request.getOptions().addUriQuery("ep=" + endpoint).addUriQuery("lt=300").addUriQuery(lwm2m)
                .addUriQuery("b=U").setContentFormat(MediaTypeRegistry.APPLICATION_LINK_FORMAT);
        request.setPayload(links);
        CoapClient client = new CoapClient();
        client.setEndpoint(deviceEndpoint);
        try {
            CoapResponse response = client.advanced(request);
            assertThat(response).as("answer to the registration of " + endpoint).isNotNull();
            return response;
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            client.shutdown();
        }
    }

    private static JsonNode object(JsonNode registration, String path) {
        for (JsonNode object : registration.get("objects")) {
            if (object.get("path").asText().equals(path)) {
                return object;
            }
        }
        throw new AssertionError(path + " not in " + registration.get("objects"));
    }
}
