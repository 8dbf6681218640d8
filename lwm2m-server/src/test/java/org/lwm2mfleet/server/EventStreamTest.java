package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** A real HTTP client reads registration events from the Server-Sent Events stream. */
class EventStreamTest {

    /** One server for both tests. */
    @TempDir
    static Path sharedDir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(sharedDir);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void streamDeliversRegistrationEventsFilteredByType() throws Exception {
        try (Devices devices = new Devices()) {
            byte[] key = FleetCredentials.pskKey("events", "streamed");
            Devices.provisionPsk(server.api(), "streamed", "streamed", key);

            HttpRequest request = server.api().request("/api/v1/events?type=registered")
                    .header("Accept", "text/event-stream").build();
            HttpResponse<Stream<String>> response = server.api().http()
                    .sendAsync(request, BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");

            // Read until the first data line, off the test thread so the wait is bounded.
            CompletableFuture<String> firstData = CompletableFuture.supplyAsync(() -> response.body()
                    .filter(line -> line.startsWith("data: ")).findFirst().orElseThrow());

            devices.start("streamed", Profile.ENVIRONMENT_SENSOR, server.server().coapsUri(),
                    DeviceSecurity.psk("streamed", key));

            JsonNode event = Json.MAPPER.readTree(firstData.get(20, TimeUnit.SECONDS).substring("data: ".length()));
            assertThat(event.get("type").asText()).isEqualTo("registered");
            assertThat(event.get("endpoint").asText()).isEqualTo("streamed");
            assertThat(event.at("/data/securityMode").asText()).isEqualTo("psk");
            assertThat(event.get("id").asLong()).isPositive();
            response.body().close();
        }
    }

    @Test
    void unknownEventTypeIs400() throws Exception {
        assertProblem(server.api().get("/api/v1/events?type=registered,exploded"), 400, "type");
    }
}
