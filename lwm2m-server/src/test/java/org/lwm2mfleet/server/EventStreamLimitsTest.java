package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.config.HttpLimits;

/** Event streams are bounded: per user, and per client queue (a client that stops reading is disconnected). */
class EventStreamLimitsTest {

    @TempDir
    Path dir;

    @Test
    void aUserHoldsAtMostTheConfiguredStreams() throws Exception {
        try (TestServer server = TestServer.start(dir,
                c -> c.httpLimits(HttpLimits.defaults().withEventStreams(2, 10_000)))) {
            List<HttpResponse<Stream<String>>> open = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                HttpResponse<Stream<String>> response = server.api().http().sendAsync(
                        server.api().request("/api/v1/events").build(), BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
                assertThat(response.statusCode()).isEqualTo(200);
                open.add(response);
            }
            Api.Reply third = server.api().get("/api/v1/events");
            assertProblem(third, 429, null);
            assertThat(third.json().get("type").asText()).isEqualTo("urn:lwm2m-fleet:problem:too-many-streams");

            // Closing one gives its place back, once the server notices: its next keep-alive write (every 15 s) may
            // still be taken by the socket's buffer, the one after fails.
            open.remove(0).body().close();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                // The server finds the closed connection when it next writes to it: an event makes it write now
                // instead of at the 15 s keep-alive.
                server.server().events().publish("notification", "nudge", Map.of());
                HttpResponse<Stream<String>> again = server.api().http().sendAsync(
                        server.api().request("/api/v1/events").build(), BodyHandlers.ofLines())
                        .get(10, TimeUnit.SECONDS);
                if (again.statusCode() == 200) {
                    open.add(again);
                    return true;
                }
                again.body().close();
                return false;
            });
            open.forEach(r -> r.body().close());
        }
    }

    @Test
    void aClientThatStopsReadingIsDisconnectedOnceItsQueueIsFull() throws Exception {
        try (TestServer server = TestServer.start(dir,
                c -> c.httpLimits(HttpLimits.defaults().withEventStreams(8, 100)))) {
            // Another stream, of another device's events, to show the others still get theirs.
            HttpRequest request = server.api().request("/api/v1/events?type=notification&endpoint=calm").build();
            HttpResponse<Stream<String>> healthy = server.api().http().sendAsync(request, BodyHandlers.ofLines())
                    .get(10, TimeUnit.SECONDS);
            CompletableFuture<Boolean> sawLast = CompletableFuture.supplyAsync(() -> healthy.body()
                    .anyMatch(line -> line.contains("\"last\"")));

            try (Socket stalled = RawHttp.open(InetAddress.getLoopbackAddress(), server.server().httpPort(), null)) {
                // It never reads: the server's writes back up once the socket buffers are full, then its queue fills.
                stalled.getOutputStream().write(("GET /api/v1/events?type=notification HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Authorization: Bearer " + server.api().token() + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                await().atMost(Duration.ofSeconds(10)).until(() -> streamsOfAdmin(server) == 2);

                String padding = "x".repeat(2_000);
                AtomicBoolean disconnected = new AtomicBoolean();
                // Publish until the stalled stream's socket buffers and its 100-event queue are full.
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    for (int i = 0; i < 500; i++) {
                        server.server().events().publish("notification", "flood", Map.of("pad", padding));
                    }
                    return metric(server, "http_event_streams_disconnected_total") >= 1;
                });
                server.server().events().publish("notification", "calm", Map.of("last", true));

                // The stalled client finds its stream ended once it reads what was buffered.
                stalled.setSoTimeout(20_000);
                InputStream in = stalled.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                try {
                    while (in.read(buffer) >= 0) {
                        // drain
                    }
                    disconnected.set(true);
                } catch (java.net.SocketException reset) {
                    disconnected.set(true);
                }
                assertThat(disconnected).isTrue();
                assertThat(streamsOfAdmin(server)).isEqualTo(1);
            }
            assertThat(sawLast.get(30, TimeUnit.SECONDS)).isTrue();
            healthy.body().close();
        }
    }

    private static int streamsOfAdmin(TestServer server) {
        return server.server().eventStreams().streams("admin");
    }

    private static double metric(TestServer server, String name) {
        return Metrics.sum(server.api().get("/metrics").text(), name);
    }
}
