package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.api.ProblemErrorHandler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The errors Jetty answers itself, sent on raw sockets because no well-behaved client would send them: every one is
 * problem+json, without HTML and without exception text.
 */
class JettyErrorsTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aUriTooLongIs414Problem() throws Exception {
        RawHttp.Answer answer = send("GET /api/v1/devices?tag=" + "x".repeat(20_000) + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nAccept: text/html\r\n\r\n");
        assertProblem(answer, 414, "urn:lwm2m-fleet:problem:uri-too-long");
    }

    @Test
    void aBadContentLengthIs400Problem() throws Exception {
        RawHttp.Answer answer = send("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 12abc\r\nAccept: text/html\r\n\r\n{}");
        assertProblem(answer, 400, "urn:lwm2m-fleet:problem:bad-request");
    }

    @Test
    void twoContentLengthsAre400Problem() throws Exception {
        RawHttp.Answer answer = send("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
        assertProblem(answer, 400, "urn:lwm2m-fleet:problem:bad-request");
    }

    @Test
    void anAmbiguousPathIs400Problem() throws Exception {
        // An encoded '/' inside a segment: Jetty's default URI compliance refuses it before any handler.
        RawHttp.Answer answer = send("GET /api/v1/devices/a%2F..%2Fb HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + server.api().token() + "\r\nAccept: text/html\r\n\r\n");
        assertProblem(answer, 400, "urn:lwm2m-fleet:problem:bad-request");
    }

    @Test
    void headersTooLargeAre431Problem() throws Exception {
        RawHttp.Answer answer = send("GET /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: "
                + "y".repeat(20_000) + "\r\n\r\n");
        assertProblem(answer, 431, "urn:lwm2m-fleet:problem:headers-too-large");
    }

    @Test
    void aMissingConsoleFileIs404ProblemEvenForDelete() throws Exception {
        RawHttp.Answer answer = send("DELETE /no-such-page.html HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Accept: text/html\r\nConnection: close\r\n\r\n");
        assertThat(answer.status()).isIn(404, 405);
        assertProblem(answer, answer.status(), null);
    }

    @Test
    void anExceptionEscapingAHandlerIs500ProblemWithoutItsText() throws Exception {
        // Our handlers catch their own failures; only Jetty's error path remains, shown on a bare server with
        // the same error handler and a handler that throws.
        Server bare = new Server();
        ServerConnector connector = new ServerConnector(bare);
        connector.setHost("127.0.0.1");
        bare.addConnector(connector);
        bare.setErrorHandler(new ProblemErrorHandler());
        bare.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                throw new IllegalStateException("secret internal detail jdbc:h2:/var/lib/x");
            }
        });
        bare.start();
        try {
            RawHttp.Answer answer = RawHttp.exchange(LOOPBACK, connector.getLocalPort(), null,
                    "GET /anything HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
            assertProblem(answer, 500, "urn:lwm2m-fleet:problem:internal");
            assertThat(answer.body()).doesNotContain("secret", "IllegalState", "jdbc");
        } finally {
            bare.stop();
        }
    }

    private static RawHttp.Answer send(String request) throws Exception {
        return RawHttp.exchange(LOOPBACK, server.server().httpPort(), null, request);
    }

    private static void assertProblem(RawHttp.Answer answer, int status, String type) throws Exception {
        assertThat(answer.status()).as(answer.head() + answer.body()).isEqualTo(status);
        assertThat(answer.header("Content-Type")).startsWith("application/problem+json");
        assertThat(answer.body()).doesNotContainIgnoringCase("<html").doesNotContain("org.eclipse", "Exception",
                "at org.");
        JsonNode problem = Json.MAPPER.readTree(answer.body());
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("title").asText()).isNotBlank();
        assertThat(problem.get("detail").asText()).isNotBlank();
        if (type != null) {
            assertThat(problem.get("type").asText()).isEqualTo(type);
        }
    }
}
