package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** Malformed provisioning input gets a 4xx problem+json naming the field, and nothing is stored. */
class RestValidationTest {

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.maxRequestBodyBytes(4096));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void badJsonIs400NamingTheBody() {
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices", "{\"endpoint\": \"x\","), 400, "body");
    }

    @Test
    void unknownCredentialsKindIs400() {
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices",
                "{\"endpoint\":\"x\",\"credentials\":{\"kind\":\"magic\"}}"), 400, "credentials.kind");
    }

    @Test
    void missingOrMistypedFieldsAreNamed() {
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices", "{\"credentials\":{\"kind\":\"none\"}}"),
                400, "endpoint");
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices",
                "{\"endpoint\":\"x\",\"credentials\":{\"kind\":\"psk\",\"identity\":\"x\",\"key\":\"zz\"}}"), 400,
                "credentials.key");
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices",
                "{\"endpoint\":\"x\",\"credentials\":{\"kind\":\"rpk\",\"publicKey\":\"AAAA\"}}"), 400,
                "credentials.publicKey");
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices",
                "{\"endpoint\":\"x\",\"tags\":\"not-a-list\",\"credentials\":{\"kind\":\"none\"}}"), 400, "tags");
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices",
                "{\"endpoint\":\"x\",\"colour\":\"red\",\"credentials\":{\"kind\":\"none\"}}"), 400, "colour");
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices",
                "{\"endpoint\":\"a/b\",\"credentials\":{\"kind\":\"none\"}}"), 400, "endpoint");
    }

    @Test
    void duplicateEndpointAndPskIdentityAre409() {
        String first = "{\"endpoint\":\"dup-1\",\"credentials\":{\"kind\":\"psk\",\"identity\":\"dup-id\","
                + "\"key\":\"00112233445566778899aabbccddeeff\"}}";
        assertThat(server.api().post("/api/v1/devices", first).status()).isEqualTo(201);

        assertProblem(server.api().post("/api/v1/devices", first), 409, "endpoint");
        assertProblem(server.api().post("/api/v1/devices", first.replace("dup-1", "dup-2")), 409,
                "credentials.identity");
        assertThat(server.api().get("/api/v1/devices/dup-2").status()).isEqualTo(404);
        assertThat(server.api().delete("/api/v1/devices/dup-1").status()).isEqualTo(204);
    }

    @Test
    void oversizedBodyIs413() {
        String huge = "{\"endpoint\":\"x\",\"label\":\"" + "a".repeat(10_000) + "\",\"credentials\":{\"kind\":\"none\"}}";
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices", huge), 413, "body");
    }

    @Test
    void wrongContentTypeIs415() {
        assertRejectedAndNothingStored(server.api().post("/api/v1/devices", "text/plain", "endpoint=x"), 415,
                "Content-Type");
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() {
        assertProblem(server.api().get("/api/v1/nothing-here"), 404, null);
        assertProblem(server.api().put("/api/v1/devices", "{}"), 405, null);
    }

    @Test
    void credentialsNeverComeBackOut() {
        String key = "00112233445566778899aabbccddeeff";
        Api.Reply created = server.api().post("/api/v1/devices",
                "{\"endpoint\":\"secret-1\",\"credentials\":{\"kind\":\"psk\",\"identity\":\"secret-1\",\"key\":\""
                        + key + "\"}}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.text()).doesNotContain(key);
        assertThat(server.api().get("/api/v1/devices/secret-1").text()).doesNotContain(key);
        assertThat(server.api().get("/api/v1/devices/secret-1/credentials").json().toString())
                .isEqualTo("{\"kind\":\"psk\",\"identity\":\"secret-1\"}");
        assertThat(server.api().get("/api/v1/devices?q=secret").text()).doesNotContain(key);

        Api.Reply rekeyed = server.api().put("/api/v1/devices/secret-1/credentials",
                "{\"kind\":\"psk\",\"identity\":\"secret-1b\",\"key\":\"ffeeddccbbaa99887766554433221100\"}");
        assertThat(rekeyed.status()).as(rekeyed.text()).isEqualTo(200);
        assertThat(rekeyed.text()).doesNotContain("ffeeddcc");
        assertThat(rekeyed.json().at("/credentials/identity").asText()).isEqualTo("secret-1b");
        assertThat(server.server().leshan().getSecurityStore().getByIdentity("secret-1")).isNull();
        assertThat(server.server().leshan().getSecurityStore().getByIdentity("secret-1b")).isNotNull();
        server.api().delete("/api/v1/devices/secret-1");
    }

    @Test
    void bulkJsonReportsEachRow() {
        Api.Reply reply = server.api().post("/api/v1/devices:bulk", "[" //
                + "{\"endpoint\":\"bulk-1\",\"credentials\":{\"kind\":\"none\"},\"tags\":[\"bulk\"]}," //
                + "{\"endpoint\":\"bulk-2\",\"credentials\":{\"kind\":\"psk\",\"identity\":\"bulk-2\"}}," //
                + "{\"endpoint\":\"bulk-1\",\"credentials\":{\"kind\":\"none\"}}," //
                + "{\"endpoint\":\"bulk-3\",\"credentials\":{\"kind\":\"x509\"},\"tags\":[\"bulk\"]}]");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        JsonNode body = reply.json();
        assertThat(body.get("created").asInt()).isEqualTo(2);
        assertThat(body.get("rejected").asInt()).isEqualTo(2);
        assertThat(body.at("/rows/1/status").asText()).isEqualTo("rejected");
        assertThat(body.at("/rows/1/field").asText()).isEqualTo("devices[1].credentials.key");
        assertThat(body.at("/rows/2/field").asText()).isEqualTo("endpoint");
        assertThat(server.api().get("/api/v1/devices?tag=bulk").json().get("items").findValuesAsText("endpoint"))
                .containsExactly("bulk-1", "bulk-3");
    }

    @Test
    void bulkCsvReportsEachRow() {
        String csv = "endpoint,kind,identity,key,tags,label\n"
                + "csv-1,psk,csv-1,00112233445566778899aabbccddeeff,csv;meters,First\n"
                + "csv-2,psk,csv-2,not-hex,csv,Second\n"
                + "csv-3,none,,,csv,Third\n";
        Api.Reply reply = server.api().post("/api/v1/devices:bulk", "text/csv", csv);
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        assertThat(reply.json().get("created").asInt()).isEqualTo(2);
        assertThat(reply.json().at("/rows/1/field").asText()).isEqualTo("credentials.key");
        JsonNode first = server.api().get("/api/v1/devices/csv-1").json();
        assertThat(first.get("label").asText()).isEqualTo("First");
        assertThat(first.get("tags").toString()).isEqualTo("[\"csv\",\"meters\"]");
    }

    @Test
    void listIsFilteredAndPagedWithACursor() {
        for (int i = 0; i < 5; i++) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"page-" + i + "\",\"label\":\"Page " + i
                    + "\",\"tags\":[\"paged\"],\"credentials\":{\"kind\":\"none\"}}");
        }
        JsonNode first = server.api().get("/api/v1/devices?tag=paged&limit=2").json();
        assertThat(first.get("items").findValuesAsText("endpoint")).containsExactly("page-0", "page-1");
        JsonNode second = server.api().get("/api/v1/devices?tag=paged&limit=2&cursor="
                + first.get("nextCursor").asText()).json();
        assertThat(second.get("items").findValuesAsText("endpoint")).containsExactly("page-2", "page-3");
        JsonNode last = server.api().get("/api/v1/devices?tag=paged&limit=2&cursor="
                + second.get("nextCursor").asText()).json();
        assertThat(last.get("items").findValuesAsText("endpoint")).containsExactly("page-4");
        assertThat(last.get("nextCursor").isNull()).isTrue();

        assertThat(server.api().get("/api/v1/devices?q=PAGE%203").json().get("items").findValuesAsText("endpoint"))
                .containsExactly("page-3");
        assertThat(server.api().get("/api/v1/devices?q=%25").json().get("items").size()).isZero();
        assertProblem(server.api().get("/api/v1/devices?status=dancing"), 400, "status");
        assertProblem(server.api().get("/api/v1/devices?limit=100000"), 400, "limit");
        assertProblem(server.api().get("/api/v1/devices?object=abc"), 400, "object");
        assertProblem(server.api().get("/api/v1/devices?cursor=page-3"), 400, "cursor");
    }

    /** Every rejected body here would have created device "x". */
    private static void assertRejectedAndNothingStored(Api.Reply reply, int status, String field) {
        assertProblem(reply, status, field);
        assertThat(server.api().get("/api/v1/devices/x").status()).isEqualTo(404);
    }
}
