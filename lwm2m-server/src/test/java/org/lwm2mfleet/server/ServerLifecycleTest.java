package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.config.AccessConfig;
import org.lwm2mfleet.server.config.ServerConfig;

/**
 * Building and starting are separate: a start that fails half-way (the HTTP port is taken, after the database, the
 * rooms and Leshan started) leaves no thread, no socket and no open database behind, and the same data folder can
 * be started and stopped again and again in one JVM.
 */
class ServerLifecycleTest {

    @TempDir
    Path dir;

    @Test
    void aStartThatFailsStopsWhatItHadStarted() throws Exception {
        Set<Thread> before = threads();
        int coap = freeUdpPort();
        int coaps = freeUdpPort();
        ServerConfig config;
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            config = ServerConfig.builder(dir.resolve("data")).loopbackEphemeralPorts().httpPort(taken.getLocalPort())
                    .coapPort(coap).coapsPort(coaps).access(AccessConfig.defaults()
                            .withAdminPassword(TestServer.ADMIN_PASSWORD)
                            .withPasswordIterations(TestServer.PASSWORD_ITERATIONS))
                    .build();
            ServerConfig failing = config;
            assertThatThrownBy(() -> FleetServer.start(failing)).hasRootCauseInstanceOf(BindException.class);
        }

        // Every thread the attempt started has ended (Leshan's, Jetty's, the rooms', the pool's, H2's, Hikari's).
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(serverThreads(before)).isEmpty());
        // The CoAP and CoAPS sockets are closed: their ports can be bound again.
        try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), coap));
                DatagramSocket againSecure = new DatagramSocket(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), coaps))) {
            assertThat(again.getLocalPort()).isEqualTo(coap);
            assertThat(againSecure.getLocalPort()).isEqualTo(coaps);
        }
        // The database was closed, not left to the JVM's exit: ours is its only session, and its migrations ran.
        try (Connection connection = DriverManager.getConnection(config.effectiveDatabaseUrl());
                ResultSet sessions = connection.createStatement()
                        .executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS");
                ResultSet devices = connection.createStatement().executeQuery("SELECT COUNT(*) FROM devices")) {
            assertThat(sessions.next()).isTrue();
            assertThat(sessions.getInt(1)).isEqualTo(1);
            assertThat(devices.next()).isTrue();
            assertThat(devices.getInt(1)).isZero();
        }
    }

    @Test
    void theSameDataFolderStartsAndStopsTwiceInOneJvm() throws Exception {
        Set<Thread> before = threads();
        try (TestServer server = TestServer.start(dir.resolve("data"))) {
            assertThat(server.api().post("/api/v1/devices",
                    "{\"endpoint\":\"kept-1\",\"credentials\":{\"kind\":\"none\"}}").status()).isEqualTo(201);
            for (int round = 2; round <= 3; round++) {
                server.restart();
                assertThat(server.api().get("/api/v1/devices/kept-1").status()).isEqualTo(200);
                assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"kept-" + round
                        + "\",\"credentials\":{\"kind\":\"none\"}}").status()).isEqualTo(201);
                assertThat(server.api().get("/health").status()).isEqualTo(200);
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(serverThreads(before)).isEmpty());
    }

    private static Set<Thread> threads() {
        Set<Thread> threads = Collections.newSetFromMap(new IdentityHashMap<>());
        threads.addAll(Thread.getAllStackTraces().keySet());
        return threads;
    }

    /**
     * The live threads started since {@code before}, but for the JVM's shared pools and the test's own helpers (the
     * HTTP client of {@link TestServer}, Awaitility), which are no part of the server.
     */
    private static List<String> serverThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !before.contains(t))
                .map(Thread::getName)
                .filter(name -> !name.startsWith("ForkJoinPool.commonPool") && !name.startsWith("awaitility")
                        && !name.startsWith("HttpClient-") && !name.equals("process reaper"))
                .sorted().toList();
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return socket.getLocalPort();
        }
    }
}
