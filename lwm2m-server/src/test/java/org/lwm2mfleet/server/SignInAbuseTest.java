package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Password guessing against the real server over real HTTP, from many client addresses: every address of 127.0.0.0/8
 * reaches the loopback interface on Linux, so each request below binds its socket to the source address the server
 * is to see (the JDK's HTTP client of Java 17 cannot choose one).
 */
class SignInAbuseTest {

    @TempDir
    static Path dir;
    static final ShiftableClock clock = new ShiftableClock();
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, clock, c -> {
        });
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aUsersLockCannotBePushedOutOfMemoryByFailuresFromManyAddresses() throws Exception {
        createUser("victim", "victim-password-1");
        lockFor512Seconds("victim", "127.0.100.1");
        assertThat(signIn("127.0.200.1", "victim", "victim-password-1")).isEqualTo(429);

        // A new name from a new address each time: two keys each, more than the 10,000 the old single throttle map kept.
        int flood = 5_500;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> statuses = new ArrayList<>();
        for (int i = 0; i < flood; i++) {
            String source = "127.1." + (i / 250) + "." + (i % 250 + 1);
            String name = "made-up-" + i;
            statuses.add(pool.submit(() -> signIn(source, name, "whatever-password")));
        }
        Map<Integer, Integer> counts = new TreeMap<>();
        for (Future<Integer> status : statuses) {
            counts.merge(status.get(), 1, Integer::sum);
        }
        pool.shutdown();
        assertThat(counts).containsExactly(Map.entry(401, flood));

        // Still locked, even with the right password and from an address never seen.
        assertThat(signIn("127.0.200.2", "victim", "victim-password-1")).isEqualTo(429);
        clock.advance(Duration.ofSeconds(600));
        assertThat(signIn("127.0.200.3", "victim", "victim-password-1")).isEqualTo(200);
    }

    @Test
    void signInsRefusedWhileLockedAreCountedInOneAuditRow() throws Exception {
        createUser("hammered", "hammered-password-1");
        lockFor512Seconds("hammered", "127.0.101.1");
        int refused = 500;
        for (int i = 0; i < refused; i++) {
            assertThat(signIn("127.0.101.1", "hammered", "guess-" + i)).isEqualTo(429);
        }
        // The count is written when its minute is over.
        clock.advance(Duration.ofSeconds(61));
        JsonNode tally = await().atMost(Duration.ofSeconds(10)).until(() -> entries("hammered").stream()
                .filter(e -> e.get("outcome").asText().equals("locked")).findFirst().orElse(null), e -> e != null);
        assertThat(tally.get("attempts").asInt()).isEqualTo(refused);
        assertThat(tally.get("address").asText()).isEqualTo("127.0.101.1");
        assertThat(tally.get("action").asText()).isEqualTo("sign-in");

        List<JsonNode> all = entries("hammered");
        // 15 failures (one row each: each cost a password hash) and one row for the 500 refused attempts.
        assertThat(all).hasSize(16);
        assertThat(all.stream().filter(e -> e.get("outcome").asText().startsWith("failed"))).hasSize(15)
                .allSatisfy(e -> assertThat(e.get("attempts").asInt()).isEqualTo(1));
    }

    /** 15 failures from one address, each after the previous lock has passed: the 15th locks for 2^9 s. */
    private static void lockFor512Seconds(String username, String source) {
        for (int i = 0; i < 15; i++) {
            if (i > 0) {
                clock.advance(Duration.ofSeconds(600));
            }
            assertThat(signIn(source, username, "wrong-" + i)).isEqualTo(401);
        }
    }

    private static void createUser(String username, String password) {
        assertThat(server.api().post("/api/v1/users", Json.MAPPER.createObjectNode().put("username", username)
                .put("password", password).put("role", "viewer").put("mustChangePassword", false).toString())
                .status()).isEqualTo(201);
    }

    private static List<JsonNode> entries(String actor) {
        List<JsonNode> list = new ArrayList<>();
        server.api().get("/api/v1/audit?limit=1000&actor=" + actor).json().get("items").forEach(list::add);
        return list;
    }

    /** {@code POST /api/v1/session} from {@code source}; the HTTP status. */
    static int signIn(String source, String username, String password) {
        byte[] body = Json.MAPPER.createObjectNode().put("username", username).put("password", password).toString()
                .getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", server.server().httpPort()), 5000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
