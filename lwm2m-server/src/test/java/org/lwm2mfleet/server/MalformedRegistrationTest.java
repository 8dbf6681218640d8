package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Register and Update requests no well-behaved client sends, made by hand ({@link RawCoap}): malformed parameters
 * answer 4.00 with one log line and a count, never 5.00 with a stack trace nor 4.03 (which says "not allowed"); a
 * well-formed registration of an unknown endpoint still gets 4.03.
 */
class MalformedRegistrationTest {

    private static final String LINKS = "</1/0>,</3/0>";
    private static final String METRIC = "lwm2m_requests_malformed_total";

    @TempDir
    static Path dir;
    static ShiftableClock clock = new ShiftableClock();
    static TestServer server;
    RawCoap coap;
    ListAppender<ILoggingEvent> log;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, clock, c -> {
        });
        Api.Reply created = server.api().post("/api/v1/devices",
                "{\"endpoint\":\"raw-1\",\"credentials\":{\"kind\":\"none\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @BeforeEach
    void capture() {
        coap = RawCoap.to(server);
        log = new ListAppender<>();
        log.start();
        root().addAppender(log);
        // Each case starts past the previous one's log interval, so each is logged once.
        clock.advance(Duration.ofSeconds(11));
    }

    @AfterEach
    void release() {
        root().detachAppender(log);
        coap.close();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    static Stream<Arguments> malformedRegistrations() {
        return Stream.of(
                Arguments.of("?ep=raw-1&lt=abc", "lifetime"),
                Arguments.of("?ep=raw-1&lt=4294967296", "lifetime"),
                Arguments.of("?ep=raw-1&lt=99999999999999999999", "lifetime"),
                Arguments.of("?ep=raw-1&lt=0", "lifetime"),
                Arguments.of("?ep=raw-1&lt=-5", "lifetime"),
                Arguments.of("?ep=raw-1&lt", "lifetime"),
                Arguments.of("?ep=raw-1&b=X", "binding"),
                Arguments.of("?ep=&lt=60", "endpoint"),
                Arguments.of("?ep&lt=60", "endpoint"),
                Arguments.of("?ep=raw-1&ep=raw-2&lt=60", "repeated"),
                Arguments.of("?ep=raw-1&lt=60&lt=70", "repeated"),
                Arguments.of("?ep=raw-1&sms", "sms"),
                Arguments.of("?ep=raw-1&lwm2m=1.1&Q=1", "queue-mode"));
    }

    @ParameterizedTest(name = "register {0}")
    @MethodSource("malformedRegistrations")
    void malformedRegisterParametersAnswerBadRequest(String query, String reason) {
        double before = malformed("register", reason);

        Response answer = coap.post("/rd" + query, LINKS);

        assertThat(answer.getCode()).as(answer.getPayloadString()).isEqualTo(ResponseCode.BAD_REQUEST);
        assertThat(answer.getPayloadString()).isNotBlank();
        awaitMalformed("register", reason, before + 1);
        assertOneLine("register malformed", "reason=" + reason);
        // Even raw-1, provisioned for plain CoAP, is not registered by a malformed request.
        assertThat(server.server().leshan().getRegistrationService().getByEndpoint("raw-1")).isNull();
    }

    @Test
    void malformedUpdateParametersAnswerBadRequestAndKeepTheRegistration() {
        Response created = coap.post("/rd?ep=raw-1&lt=300&lwm2m=1.1", LINKS);
        assertThat(created.getCode()).as(created.getPayloadString()).isEqualTo(ResponseCode.CREATED);
        String location = "/" + created.getOptions().getLocationPathString();
        try {
            for (String[] c : new String[][] { { "?lt=abc", "lifetime" }, { "?lt=0", "lifetime" },
                    { "?lt=4294967296", "lifetime" }, { "?lt", "lifetime" }, { "?b=X", "binding" },
                    { "?sms", "sms" }, { "?lt=60&lt=70", "repeated" } }) {
                clock.advance(Duration.ofSeconds(11));
                double before = malformed("update", c[1]);
                Response answer = coap.send(coap.request(Code.POST, location + c[0]));
                assertThat(answer.getCode()).as(c[0]).isEqualTo(ResponseCode.BAD_REQUEST);
                awaitMalformed("update", c[1], before + 1);
            }
            assertThat(lines("update malformed")).hasSize(7);
            assertNoErrorLogged();
            // The registration is untouched and a well-formed update still goes through.
            assertThat(server.server().leshan().getRegistrationService().getByEndpoint("raw-1").getLifeTimeInSec())
                    .isEqualTo(300);
            assertThat(coap.send(coap.request(Code.POST, location + "?lt=120")).getCode())
                    .isEqualTo(ResponseCode.CHANGED);
        } finally {
            coap.send(coap.request(Code.DELETE, location));
        }
    }

    @Test
    void wellFormedRegistrationOfAnUnknownEndpointIsStillForbidden() {
        Response answer = coap.post("/rd?ep=nobody&lt=60&lwm2m=1.1", LINKS);
        assertThat(answer.getCode()).isEqualTo(ResponseCode.FORBIDDEN);
        assertThat(lines("malformed")).isEmpty();
    }

    @Test
    void badRequestsLeshanFindsItselfAreCountedAndLoggedToo() {
        double before = malformed("register", "invalid");
        Request nonConfirmable = coap.request(Code.POST, "/rd?ep=raw-1&lt=60");
        nonConfirmable.setType(Type.NON);
        nonConfirmable.setPayload(LINKS);
        assertThat(coap.send(nonConfirmable).getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        // Leshan's own 4.00s are seen as their answers leave, which may be after the client has the answer: wait for
        // each line before moving the clock past the log's rate limit, or the next line may fall in the same window.
        awaitLines("register malformed", 1);
        // An unknown version, and no object links at all.
        clock.advance(Duration.ofSeconds(11));
        assertThat(coap.post("/rd?ep=raw-1&lt=60&lwm2m=abc", LINKS).getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        awaitLines("register malformed", 2);
        clock.advance(Duration.ofSeconds(11));
        assertThat(coap.post("/rd?ep=raw-1&lt=60", "").getCode()).isEqualTo(ResponseCode.BAD_REQUEST);

        awaitMalformed("register", "invalid", before + 3);
        awaitLines("register malformed", 3);
        assertNoErrorLogged();
    }

    @Test
    void malformedLinksAreRefusedWithoutQuotingThem() {
        String garbage = "<<not a link>>;;;\"" + "secret-looking-text-".repeat(30);
        Response answer = coap.post("/rd?ep=raw-1&lt=60", garbage);
        assertThat(answer.getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        assertThat(answer.getPayloadString()).doesNotContain("secret-looking").hasSizeLessThan(120);
        assertThat(String.join("\n", lines("malformed"))).doesNotContain("secret-looking");
    }

    @Test
    void aFloodOfOneMistakeIsLoggedOnceAndCountedEveryTime() {
        double before = malformed("register", "binding");
        for (int i = 0; i < 20; i++) {
            assertThat(coap.post("/rd?ep=raw-1&b=Z", LINKS).getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        }
        awaitMalformed("register", "binding", before + 20);
        assertThat(lines("register malformed")).hasSize(1);

        clock.advance(Duration.ofSeconds(11));
        assertThat(coap.post("/rd?ep=raw-1&b=Z", LINKS).getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        assertThat(lines("register malformed")).hasSize(2).last().asString()
                .contains("(19 more of these not logged)");
    }

    @Test
    void registrationBodiesAreBoundedBeforeTheSenderIsKnown() {
        byte[] huge = links(90_000).getBytes(StandardCharsets.US_ASCII); // about 1 MB
        assertThat(huge.length).isGreaterThan(1_000_000);

        // Announced (Size1): refused at the first block.
        RawCoap.Upload announced = coap.postBlocks("/rd?ep=nobody&lt=60", huge,
                MediaTypeRegistry.APPLICATION_LINK_FORMAT, 1024, huge.length);
        assertThat(announced.last().getCode()).isEqualTo(ResponseCode.REQUEST_ENTITY_TOO_LARGE);
        assertThat(announced.blocksSent()).isEqualTo(1);

        // Not announced: refused as soon as the body passes 16 KiB, never reassembled, never echoed.
        RawCoap.Upload silent = coap.postBlocks("/rd?ep=nobody&lt=60", huge,
                MediaTypeRegistry.APPLICATION_LINK_FORMAT, 1024, null);
        assertThat(silent.last().getCode()).isEqualTo(ResponseCode.REQUEST_ENTITY_TOO_LARGE);
        assertThat(silent.blocksSent()).isEqualTo(17);
        assertThat(silent.last().getPayloadSize()).isLessThan(100);
        awaitMalformed("register", "too-large", 2);
        assertThat(server.api().get("/api/v1/devices/nobody").status()).isEqualTo(404);
    }

    @Test
    void objectLinksAreCapped() {
        byte[] tooMany = links(1_001).getBytes(StandardCharsets.US_ASCII);
        assertThat(tooMany.length).isLessThan(16 * 1024);
        RawCoap.Upload refused = coap.postBlocks("/rd?ep=raw-1&lt=60", tooMany,
                MediaTypeRegistry.APPLICATION_LINK_FORMAT, 1024, tooMany.length);
        assertThat(refused.last().getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        assertThat(refused.last().getPayloadString()).contains("1001 object links");
        assertOneLine("register malformed", "reason=object-links");

        byte[] enough = links(1_000).getBytes(StandardCharsets.US_ASCII);
        RawCoap.Upload accepted = coap.postBlocks("/rd?ep=raw-1&lt=60&lwm2m=1.1", enough,
                MediaTypeRegistry.APPLICATION_LINK_FORMAT, 1024, enough.length);
        assertThat(accepted.last().getCode()).isEqualTo(ResponseCode.CREATED);
        coap.send(coap.request(Code.DELETE, "/" + accepted.last().getOptions().getLocationPathString()));
    }

    @Test
    void sendAndOtherResourcesHaveTheirOwnLimits() {
        // Send: 64 KiB. 20 KB passes the size check (and is refused as there is no registration), 100 KB does not.
        byte[] small = new byte[20_000];
        RawCoap.Upload withinLimit = coap.postBlocks("/dp", small, MediaTypeRegistry.APPLICATION_SENML_CBOR, 1024,
                small.length);
        assertThat(withinLimit.last().getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        assertThat(withinLimit.blocksSent()).isEqualTo(20);
        byte[] large = new byte[100_000];
        RawCoap.Upload tooLarge = coap.postBlocks("/dp", large, MediaTypeRegistry.APPLICATION_SENML_CBOR, 1024, null);
        assertThat(tooLarge.last().getCode()).isEqualTo(ResponseCode.REQUEST_ENTITY_TOO_LARGE);
        assertThat(tooLarge.blocksSent()).isEqualTo(65);

        // No other resource takes a body: 1 KiB.
        RawCoap.Upload elsewhere = coap.postBlocks("/fw/anything", new byte[4096],
                MediaTypeRegistry.APPLICATION_OCTET_STREAM, 1024, null);
        assertThat(elsewhere.last().getCode()).isEqualTo(ResponseCode.REQUEST_ENTITY_TOO_LARGE);
        assertThat(elsewhere.blocksSent()).isEqualTo(2);
    }

    /** {@code n} distinct object links, about 11 bytes each. */
    private void awaitLines(String containing, int count) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(lines(containing)).hasSize(count));
    }

    static String links(int n) {
        StringBuilder links = new StringBuilder("</1/0>,</3/0>");
        for (int i = 2; i < n; i++) {
            links.append(",</").append(3300 + i % 100).append('/').append(i / 100).append('>');
        }
        return links.toString();
    }

    /** The count is written when the answer is sent (Leshan's own 4.00) or just before: it may trail by a moment. */
    private void awaitMalformed(String request, String reason, double expected) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(malformed(request, reason)).isGreaterThanOrEqualTo(expected));
        assertThat(malformed(request, reason)).isEqualTo(expected);
    }

    private double malformed(String request, String reason) {
        String scrape = server.api().get("/metrics").text();
        String prefix = METRIC + "{";
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith(prefix) && line.contains("request=\"" + request + "\"")
                    && line.contains("reason=\"" + reason + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private List<String> lines(String containing) {
        return log.list.stream().filter(e -> e.getLoggerName().endsWith("MalformedRequests"))
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(containing)).toList();
    }

    private void assertOneLine(String containing, String reason) {
        List<String> lines = lines(containing);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains(reason).doesNotContain("\n");
        assertNoErrorLogged();
    }

    private void assertNoErrorLogged() {
        assertThat(log.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                .map(ILoggingEvent::getFormattedMessage)).isEmpty();
    }
}
