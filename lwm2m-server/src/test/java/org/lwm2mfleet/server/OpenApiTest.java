package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** The OpenAPI document is served without a credential and describes exactly the routes the server has. */
class OpenApiTest {

    @Test
    void theDocumentDescribesEveryRouteWithItsRoleAndNothingElse(@TempDir Path dir) throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            Api.Reply reply = server.anonymous().get("/api/v1/openapi.json");
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.json().get("openapi").asText()).startsWith("3.");

            Set<String> documented = new TreeSet<>();
            for (Iterator<Map.Entry<String, JsonNode>> paths = reply.json().get("paths").fields(); paths.hasNext();) {
                for (Iterator<Map.Entry<String, JsonNode>> ops = paths.next().getValue().fields(); ops.hasNext();) {
                    Map.Entry<String, JsonNode> op = ops.next();
                    documented.add(op.getKey().toUpperCase() + " " + op.getValue().get("x-route").asText() + " "
                            + op.getValue().get("x-required-role").asText());
                }
            }
            Set<String> routes = server.server().routes().stream()
                    .map(r -> r.method() + " " + r.template() + " " + (r.access() == null ? "open" : r.access().id()))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(documented).isEqualTo(routes);
        }
    }
}
