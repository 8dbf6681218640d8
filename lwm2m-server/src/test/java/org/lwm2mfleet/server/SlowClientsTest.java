package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lwm2mfleet.server.config.AccessConfig;
import org.lwm2mfleet.server.config.HttpLimits;

/**
 * Slow clients (a body at 1 byte/s, or a TLS handshake that never starts) neither pin the HTTP threads nor take
 * every connection: 500 of them from 127.0.0.1 while an authenticated caller is still answered promptly. Raw
 * sockets, all to 127.0.0.1; the second caller's source is 127.0.0.2 (the per-address cap would rightly refuse it
 * from the flooding address).
 */
class SlowClientsTest {

    private static final int SLOW = 500;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    @Test
    void fiveHundredSlowBodiesHoldNoThreadAndMeetTheReadDeadline() throws Exception {
        // No rate check and room for all 500: only the asynchronous read keeps the server responsive here.
        HttpLimits limits = new HttpLimits(10_000, 1_000, 0, Duration.ofSeconds(8), Duration.ofSeconds(30), 8,
                10_000);
        try (TestServer server = TestServer.start(dir, c -> c.httpLimits(limits));
                SlowBodies slow = new SlowBodies(LOOPBACK, server.server().httpPort(), SLOW, signInHead())) {
            await().atMost(Duration.ofSeconds(20)).until(slow::counts, c -> c.open() == SLOW);
            assertThat(metric(server.api().get("/metrics").text(), "http_connections")).isGreaterThanOrEqualTo(SLOW);

            // 500 bodies in flight on a pool of 200 threads, and an authenticated call is answered.
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(server.api().get("/api/v1/devices").status()).isEqualTo(200));
            assertThat(slow.counts().answered()).as("no slow body has been answered yet").isZero();

            // The read deadline (8 s) ends every one with a 408 problem, however steadily it trickles.
            await().atMost(Duration.ofSeconds(30)).until(() -> slow.counts().answered() == SLOW);
            assertThat(slow.answers()).hasSize(SLOW).allSatisfy(answer -> {
                assertThat(answer).startsWith("HTTP/1.1 408");
                assertThat(answer).contains("application/problem+json", "urn:lwm2m-fleet:problem:request-timeout");
            });
        }
    }

    @ParameterizedTest(name = "https={0}")
    @ValueSource(booleans = { false, true })
    void oneAddressGetsItsShareOfConnectionsAndOthersAreServed(boolean https) throws Exception {
        // Default cap per address (64); no rate check and a long deadline, so that the admitted ones stay.
        HttpLimits limits = new HttpLimits(10_000, 64, 0, Duration.ofSeconds(60), Duration.ofSeconds(30), 8, 10_000);
        try (TestServer server = TestServer.start(dir, c -> {
            c.httpLimits(limits);
            if (https) {
                c.access(AccessConfig.defaults().withAdminPassword(TestServer.ADMIN_PASSWORD)
                        .withPasswordIterations(TestServer.PASSWORD_ITERATIONS).withHttps(null, null, null, null));
            }
        })) {
            SSLContext tls = https ? Tls.trusting(server.dataDir().resolve("keys").resolve("https-cert.pem")) : null;
            // Over HTTPS the slow ones never start their handshake; over HTTP they trickle a sign-in body.
            try (SlowBodies slow = new SlowBodies(LOOPBACK, server.server().httpPort(), SLOW,
                    https ? null : signInHead())) {
                // The test's own HTTP client may hold a kept-alive connection or two from 127.0.0.1 as well.
                await().atMost(Duration.ofSeconds(20)).until(slow::counts, c -> c.refused() >= SLOW - 64);
                assertThat(slow.counts().open()).isBetween(62, 64);
                assertThat(slow.counts().answered()).isZero();

                InetAddress other = InetAddress.getByName("127.0.0.2");
                String get = "GET /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                        + server.api().token() + "\r\nConnection: close\r\n\r\n";
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                        RawHttp.exchange(other, server.server().httpPort(), tls, get).status()).isEqualTo(200));

                String metrics = RawHttp.exchange(other, server.server().httpPort(), tls, get.replace(
                        "/api/v1/devices", "/metrics")).body();
                assertThat(metric(metrics, "http_connections_refused_total{reason=\"per-address\""))
                        .isGreaterThanOrEqualTo(SLOW - 64);
            }
            // Once the slow ones are gone, their address is served again.
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(server.api().get("/api/v1/devices").status()).isEqualTo(200));
        }
    }

    @Test
    void aBodyAtOneBytePerSecondIs408AtTheDefaultMinimumRate() throws Exception {
        try (TestServer server = TestServer.start(dir);
                SlowBodies slow = new SlowBodies(LOOPBACK, server.server().httpPort(), 3, signInHead())) {
            // 256 B/s by default: the second byte, a second after the first, is already too slow.
            await().atMost(Duration.ofSeconds(10)).until(() -> slow.counts().answered() == 3);
            assertThat(slow.answers()).allSatisfy(answer -> {
                assertThat(answer).startsWith("HTTP/1.1 408");
                assertThat(answer).contains("urn:lwm2m-fleet:problem:request-timeout", "\"field\":\"body\"");
            });
            assertThat(server.api().get("/api/v1/devices").status()).isEqualTo(200);
        }
    }

    private static String signInHead() {
        return "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 4096\r\n\r\n{";
    }

    /** The value of the first Prometheus sample whose name (and labels) start with {@code prefix}. */
    static double metric(String scrape, String prefix) {
        return scrape.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .mapToDouble(Double::parseDouble).findFirst().orElse(-1);
    }

    /**
     * Many connections from one address, each sending {@code head} then a byte a second (or nothing, when head is
     * null), driven by one thread with a selector: it notes which were closed before any answer (refused) and
     * which got one.
     */
    static final class SlowBodies implements AutoCloseable {

        record Counts(int open, int refused, int answered) {
        }

        private final Selector selector = Selector.open();
        private final Map<SocketChannel, StringBuilder> received = new HashMap<>();
        private final List<SocketChannel> closed = new ArrayList<>();
        private final Thread driver;
        private final boolean trickle;
        private volatile boolean running = true;

        SlowBodies(InetAddress from, int port, int count, String head) throws IOException {
            trickle = head != null;
            for (int i = 0; i < count; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.bind(new InetSocketAddress(from, 0));
                channel.connect(new InetSocketAddress(LOOPBACK, port));
                received.put(channel, new StringBuilder());
                try {
                    if (head != null) {
                        channel.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
                    }
                    channel.configureBlocking(false);
                    channel.register(selector, SelectionKey.OP_READ);
                } catch (IOException refused) {
                    closed(channel);
                }
            }
            driver = new Thread(this::drive, "slow-bodies");
            driver.setDaemon(true);
            driver.start();
        }

        synchronized Counts counts() {
            int refused = 0;
            int answered = 0;
            for (SocketChannel channel : closed) {
                if (received.get(channel).isEmpty()) {
                    refused++;
                } else {
                    answered++;
                }
            }
            return new Counts(received.size() - closed.size(), refused, answered);
        }

        synchronized List<String> answers() {
            return received.values().stream().filter(b -> !b.isEmpty()).map(StringBuilder::toString).toList();
        }

        private void drive() {
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            long nextByte = System.nanoTime();
            while (running) {
                try {
                    selector.select(200);
                    synchronized (this) {
                        for (SelectionKey key : selector.selectedKeys()) {
                            SocketChannel channel = (SocketChannel) key.channel();
                            int read;
                            try {
                                buffer.clear();
                                read = channel.read(buffer);
                            } catch (IOException reset) {
                                read = -1;
                            }
                            if (read > 0) {
                                received.get(channel).append(new String(buffer.array(), 0, read,
                                        StandardCharsets.ISO_8859_1));
                            } else if (read < 0) {
                                key.cancel();
                                closed(channel);
                            }
                        }
                        selector.selectedKeys().clear();
                        if (trickle && System.nanoTime() >= nextByte) {
                            nextByte += 1_000_000_000L;
                            for (SocketChannel channel : received.keySet()) {
                                if (!closed.contains(channel)) {
                                    try {
                                        channel.write(ByteBuffer.wrap(new byte[] { ' ' }));
                                    } catch (IOException reset) {
                                        // seen as closed by the next read
                                    }
                                }
                            }
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    return;
                }
            }
        }

        private void closed(SocketChannel channel) {
            if (!closed.contains(channel)) {
                closed.add(channel);
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a closed socket
            }
        }

        @Override
        public void close() throws Exception {
            running = false;
            selector.wakeup();
            driver.join(5_000);
            synchronized (this) {
                for (SocketChannel channel : received.keySet()) {
                    channel.close();
                }
            }
            selector.close();
        }
    }
}
