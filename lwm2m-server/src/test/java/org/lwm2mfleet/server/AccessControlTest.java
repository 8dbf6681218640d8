package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.config.AccessConfig;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Who may call what, over real HTTP: the role table for every route, tokens, browser sessions with CSRF, sign-in
 * throttling and the audit log.
 */
class AccessControlTest {

    /**
     * The role every route needs: "open" (no credential), viewer, operator or admin. A route missing from this table
     * fails {@link #everyRouteNeedsTheRoleInTheTable}, so no new route goes unchecked.
     */
    static final String[][] ROLE_TABLE = {
            { "POST /api/v1/session", "open" },
            { "GET /health", "open" },
            { "GET /api/v1/openapi.json", "open" },
            { "GET /api/v1/session", "viewer" },
            { "DELETE /api/v1/session", "viewer" },
            { "POST /api/v1/session/password", "viewer" },
            { "GET /api/v1/users", "admin" },
            { "POST /api/v1/users", "admin" },
            { "PUT /api/v1/users/{username}", "admin" },
            { "DELETE /api/v1/users/{username}", "admin" },
            { "GET /api/v1/tokens", "viewer" },
            { "POST /api/v1/tokens", "viewer" },
            { "DELETE /api/v1/tokens/{id}", "viewer" },
            { "GET /api/v1/audit", "admin" },
            { "GET /metrics", "viewer" },
            { "GET /api/v1/events", "viewer" },
            { "GET /api/v1/objects", "viewer" },
            { "GET /api/v1/objects/{id}", "viewer" },
            { "GET /api/v1/fleet/stats", "viewer" },
            { "GET /api/v1/fleet/firmware/devices", "viewer" },
            { "GET /api/v1/devices", "viewer" },
            { "POST /api/v1/devices:tags", "operator" },
            { "POST /api/v1/devices", "operator" },
            { "POST /api/v1/devices:bulk", "operator" },
            { "GET /api/v1/devices/{endpoint}", "viewer" },
            { "DELETE /api/v1/devices/{endpoint}", "operator" },
            { "GET /api/v1/devices/{endpoint}/credentials", "operator" },
            { "PUT /api/v1/devices/{endpoint}/credentials", "operator" },
            { "POST /api/v1/devices/{endpoint}/objects/{path*}/execute", "operator" },
            { "GET /api/v1/devices/{endpoint}/objects/{path*}/discover", "viewer" },
            { "PUT /api/v1/devices/{endpoint}/objects/{path*}/attributes", "operator" },
            { "GET /api/v1/devices/{endpoint}/objects/{path*}", "viewer" },
            { "PUT /api/v1/devices/{endpoint}/objects/{path*}", "operator" },
            { "POST /api/v1/devices/{endpoint}/objects/{path*}", "operator" },
            { "DELETE /api/v1/devices/{endpoint}/objects/{path*}", "operator" },
            { "POST /api/v1/devices/{endpoint}/composite:read", "viewer" },
            { "POST /api/v1/devices/{endpoint}/composite:write", "operator" },
            { "GET /api/v1/devices/{endpoint}/observations", "viewer" },
            { "POST /api/v1/devices/{endpoint}/observations", "operator" },
            { "DELETE /api/v1/devices/{endpoint}/observations", "operator" },
            { "GET /api/v1/devices/{endpoint}/operations", "viewer" },
            { "GET /api/v1/devices/{endpoint}/pending", "viewer" },
            { "GET /api/v1/operations/{id}", "viewer" },
            { "DELETE /api/v1/operations/{id}", "operator" },
            { "GET /api/v1/devices/{endpoint}/telemetry/latest", "viewer" },
            { "GET /api/v1/devices/{endpoint}/telemetry", "viewer" },
            { "POST /api/v1/campaigns", "operator" },
            { "GET /api/v1/campaigns", "viewer" },
            { "GET /api/v1/campaigns/{id}", "viewer" },
            { "GET /api/v1/campaigns/{id}/devices", "viewer" },
            { "POST /api/v1/campaigns/{id}:pause", "operator" },
            { "POST /api/v1/campaigns/{id}:resume", "operator" },
            { "POST /api/v1/campaigns/{id}:cancel", "operator" },
            { "POST /api/v1/firmware", "operator" },
            { "GET /api/v1/firmware", "viewer" },
            { "GET /api/v1/firmware/versions", "viewer" },
            { "GET /api/v1/firmware/{id}", "viewer" },
            { "DELETE /api/v1/firmware/{id}", "operator" },
            { "POST /api/v1/devices/{endpoint}/firmware-updates", "operator" },
            { "GET /api/v1/devices/{endpoint}/firmware-updates", "viewer" },
            { "GET /api/v1/firmware-updates/{id}", "viewer" },
            { "GET /api/v1/rules", "viewer" },
            { "POST /api/v1/rules", "operator" },
            { "GET /api/v1/rules/{id}", "viewer" },
            { "PUT /api/v1/rules/{id}", "operator" },
            { "DELETE /api/v1/rules/{id}", "operator" },
            { "GET /api/v1/rules/{id}/firings", "viewer" },
            { "GET /api/v1/alerts", "viewer" },
            { "GET /api/v1/alerts/{id}", "viewer" },
            { "POST /api/v1/alerts/{id}/acknowledge", "operator" },
    };
    private static final List<String> ROLES = List.of("viewer", "operator", "admin");

    @TempDir
    static Path dir;
    static TestServer server;
    static Api viewer;
    static Api operator;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        viewer = server.api().withToken(token(server.api(), "viewer-token", "viewer"));
        operator = server.api().withToken(token(server.api(), "operator-token", "operator"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void everyRouteNeedsTheRoleInTheTable() {
        Set<String> registered = server.server().routes().stream()
                .map(r -> r.method() + " " + r.template() + " " + (r.access() == null ? "open" : r.access().id()))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> table = new TreeSet<>();
        for (String[] row : ROLE_TABLE) {
            table.add(row[0] + " " + row[1]);
        }
        assertThat(registered).isEqualTo(table);
    }

    @Test
    void eachRoleCanCallWhatItShouldAndNothingMore() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (String[] row : ROLE_TABLE) {
            String method = row[0].split(" ")[0];
            String path = sample(row[0].split(" ")[1]);
            String needed = row[1];
            if (needed.equals("open")) {
                continue;
            }
            check(wrong, row[0], "anonymous", call(server.anonymous(), method, path), 401);
            for (String role : ROLES) {
                Api api = role.equals("viewer") ? viewer : role.equals("operator") ? operator : server.api();
                int status = call(api, method, path);
                boolean allowed = ROLES.indexOf(role) >= ROLES.indexOf(needed);
                if (allowed && (status == 401 || status == 403)) {
                    wrong.add(row[0] + " as " + role + ": " + status + ", should be allowed");
                } else if (!allowed) {
                    check(wrong, row[0], role, status, 403);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void refusalsAreProblemsThatDoNotTellWhetherTheTargetExists() {
        server.api().post("/api/v1/devices", "{\"endpoint\":\"known-1\",\"credentials\":{\"kind\":\"none\"}}");
        Api.Reply known = server.anonymous().get("/api/v1/devices/known-1");
        Api.Reply unknown = server.anonymous().get("/api/v1/devices/unknown-1");
        Api.Reply noSuchPath = server.anonymous().get("/api/v1/nothing-here");
        for (Api.Reply reply : List.of(known, unknown, noSuchPath)) {
            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.contentType()).startsWith("application/problem+json");
            assertThat(reply.json().get("type").asText()).isEqualTo("urn:lwm2m-fleet:problem:unauthorized");
            assertThat(reply.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> v.startsWith("Bearer"));
        }
        assertThat(known.json().get("detail")).isEqualTo(unknown.json().get("detail"));
        Api.Reply forbidden = viewer.delete("/api/v1/devices/known-1");
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.json().get("type").asText()).isEqualTo("urn:lwm2m-fleet:problem:forbidden");
        assertThat(viewer.delete("/api/v1/devices/unknown-1").json().get("detail"))
                .isEqualTo(forbidden.json().get("detail"));
        assertThat(server.anonymous().withToken("lwf_made-up").get("/api/v1/devices").status()).isEqualTo(401);
    }

    @Test
    void aTokenIsShownOnceWorksAndStopsWhenRevoked() {
        Api.Reply created = server.api().post("/api/v1/tokens", "{\"name\":\"ci\",\"role\":\"operator\"}");
        assertThat(created.status()).isEqualTo(201);
        String secret = created.json().get("token").asText();
        assertThat(secret).startsWith("lwf_");
        long id = created.json().get("id").asLong();

        Api.Reply listed = server.api().get("/api/v1/tokens");
        JsonNode entry = find(listed.json().get("items"), "id", String.valueOf(id));
        assertThat(entry.get("role").asText()).isEqualTo("operator");
        assertThat(entry.has("token")).isFalse();
        assertThat(listed.text()).doesNotContain(secret);

        Api ci = server.anonymous().withToken(secret);
        assertThat(ci.post("/api/v1/devices", "{\"endpoint\":\"by-ci\",\"credentials\":{\"kind\":\"none\"}}")
                .status()).isEqualTo(201);
        assertThat(server.api().get("/api/v1/tokens").json().get("items").toString()).contains("lastUsedAt\":\"");

        assertThat(server.api().delete("/api/v1/tokens/" + id).status()).isEqualTo(204);
        assertThat(ci.get("/api/v1/devices").status()).isEqualTo(401);
    }

    @Test
    void aTokenStopsWorkingWhenItExpires() {
        Instant expiry = Instant.now().plusSeconds(2);
        Api.Reply created = server.api().post("/api/v1/tokens",
                "{\"name\":\"short\",\"role\":\"viewer\",\"expiresAt\":\"" + expiry + "\"}");
        Api shortLived = server.anonymous().withToken(created.json().get("token").asText());
        assertThat(shortLived.get("/api/v1/devices").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> shortLived.get("/api/v1/devices").status() == 401);
        assertThat(Instant.now()).isAfterOrEqualTo(expiry);
        Api.Reply past = server.api().post("/api/v1/tokens",
                "{\"name\":\"past\",\"expiresAt\":\"2020-01-01T00:00:00Z\"}");
        assertThat(past.status()).isEqualTo(400);
        assertThat(past.json().get("field").asText()).isEqualTo("expiresAt");
    }

    @Test
    void aViewerCannotMakeATokenAboveItsRoleNorSeeOthersTokens() {
        Api.Reply refused = viewer.post("/api/v1/tokens", "{\"name\":\"escalate\",\"role\":\"admin\"}");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.json().get("field").asText()).isEqualTo("role");
        Api.Reply own = viewer.post("/api/v1/tokens", "{\"name\":\"mine\"}");
        assertThat(own.status()).isEqualTo(201);
        assertThat(own.json().get("role").asText()).isEqualTo("viewer");
        // Every token here belongs to admin; a viewer token is admin's too, so it sees them. A second user does not.
        server.api().post("/api/v1/users", "{\"username\":\"val\",\"password\":\"val-password-123\","
                + "\"role\":\"viewer\",\"mustChangePassword\":false}");
        Api val = server.anonymous().signIn("val", "val-password-123");
        assertThat(val.get("/api/v1/tokens").json().get("items")).isEmpty();
        long adminTokenId = server.api().get("/api/v1/tokens").json().get("items").get(0).get("id").asLong();
        assertThat(val.delete("/api/v1/tokens/" + adminTokenId).status()).isEqualTo(404);
    }

    @Test
    void aBrowserSessionNeedsItsCsrfTokenToChangeAnything() {
        Api browser = server.anonymous().signIn("admin", TestServer.ADMIN_PASSWORD);
        Api.Reply signIn = server.anonymous().post("/api/v1/session",
                "{\"username\":\"admin\",\"password\":\"" + TestServer.ADMIN_PASSWORD + "\"}");
        String cookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly", "SameSite=Strict").doesNotContain("Secure");

        Api withoutCsrf = browser.withSession(cookie.split(";")[0], null);
        assertThat(withoutCsrf.get("/api/v1/devices").status()).isEqualTo(200);
        Api.Reply refused = withoutCsrf.post("/api/v1/devices",
                "{\"endpoint\":\"csrf-1\",\"credentials\":{\"kind\":\"none\"}}");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.json().get("field").asText()).isEqualTo("X-CSRF-Token");
        assertThat(browser.post("/api/v1/devices", "{\"endpoint\":\"csrf-1\",\"credentials\":{\"kind\":\"none\"}}")
                .status()).isEqualTo(201);

        assertThat(browser.get("/api/v1/session").json().get("username").asText()).isEqualTo("admin");
        assertThat(browser.delete("/api/v1/session").status()).isEqualTo(204);
        assertThat(browser.get("/api/v1/devices").status()).isEqualTo(401);
    }

    @Test
    void repeatedFailedSignInsLockTheUserAndAreCounted() {
        server.api().post("/api/v1/users", "{\"username\":\"guessed\",\"password\":\"guessed-password-1\","
                + "\"role\":\"operator\",\"mustChangePassword\":false}");
        double before = Metrics.sum(server.api().get("/metrics").text(), "http_login_failures_total");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            statuses.add(server.anonymous().post("/api/v1/session",
                    "{\"username\":\"guessed\",\"password\":\"wrong-password-" + i + "\"}").status());
        }
        assertThat(statuses).containsOnly(401);
        // Locked now, even with the right password.
        Api.Reply locked = server.anonymous().post("/api/v1/session",
                "{\"username\":\"guessed\",\"password\":\"guessed-password-1\"}");
        assertThat(locked.status()).isEqualTo(429);
        assertThat(locked.json().get("type").asText()).isEqualTo("urn:lwm2m-fleet:problem:too-many-attempts");
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
        String metrics = server.api().get("/metrics").text();
        assertThat(Metrics.sum(metrics, "http_login_failures_total")).isEqualTo(before + 6);
        assertThat(Metrics.sum(metrics, "http_login_lockouts_total")).isGreaterThanOrEqualTo(1);
        // The lock is short at first: the right password works again once it has passed.
        await().atMost(Duration.ofSeconds(10)).until(() -> server.anonymous().post("/api/v1/session",
                "{\"username\":\"guessed\",\"password\":\"guessed-password-1\"}").status() == 200);
    }

    @Test
    void stateChangingCallsAreAudited() {
        server.api().post("/api/v1/devices", "{\"endpoint\":\"audited-1\",\"credentials\":{\"kind\":\"none\"}}");
        viewer.delete("/api/v1/devices/audited-1");
        server.anonymous().post("/api/v1/session", "{\"username\":\"admin\",\"password\":\"not-the-password\"}");

        JsonNode entries = server.api().get("/api/v1/audit?limit=50").json().get("items");
        assertThat(entries.toString()).contains("\"actor\":\"admin/token:tests\"",
                "\"action\":\"POST /api/v1/devices\"", "\"outcome\":\"201\"");
        JsonNode refused = find(entries, "action", "DELETE /api/v1/devices/{endpoint}");
        assertThat(refused.get("outcome").asText()).isEqualTo("403");
        assertThat(refused.get("target").asText()).isEqualTo("/api/v1/devices/audited-1");
        JsonNode signIn = find(entries, "outcome", "failed");
        assertThat(signIn.get("action").asText()).isEqualTo("sign-in");
        assertThat(entries.toString()).doesNotContain("not-the-password");
        assertThat(operator.get("/api/v1/audit").status()).isEqualTo(403);
    }

    @Test
    void theLastAdminCannotBeDemotedAndADisabledUsersTokensStop() {
        Api.Reply demote = server.api().put("/api/v1/users/admin", "{\"role\":\"viewer\"}");
        assertThat(demote.status()).isEqualTo(409);
        server.api().post("/api/v1/users", "{\"username\":\"olga\",\"password\":\"olga-password-12\","
                + "\"role\":\"operator\",\"mustChangePassword\":false}");
        Api olga = server.anonymous().signIn("olga", "olga-password-12");
        Api olgaToken = server.anonymous().withToken(token(olga, "olga-ci", "operator"));
        assertThat(olgaToken.get("/api/v1/devices").status()).isEqualTo(200);
        assertThat(server.api().put("/api/v1/users/olga", "{\"disabled\":true}").status()).isEqualTo(200);
        assertThat(olgaToken.get("/api/v1/devices").status()).isEqualTo(401);
        assertThat(olga.get("/api/v1/devices").status()).isEqualTo(401);
        Api.Reply weak = server.api().post("/api/v1/users",
                "{\"username\":\"weak\",\"password\":\"short\",\"role\":\"viewer\"}");
        assertThat(weak.status()).isEqualTo(400);
        assertThat(weak.json().get("field").asText()).isEqualTo("password");
        assertThat(server.api().get("/api/v1/users").text()).doesNotContain("password_hash", "pbkdf2");
    }

    @Test
    void aFreshServerHasAOneTimeAdminPasswordThatMustBeChanged(@TempDir Path fresh) throws Exception {
        try (TestServer first = TestServer.start(fresh,
                b -> b.access(AccessConfig.defaults().withPasswordIterations(TestServer.PASSWORD_ITERATIONS)))) {
            Path file = fresh.resolve("initial-admin-password");
            assertThat(Files.getPosixFilePermissions(file))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            String oneTime = Files.readString(file).strip();
            assertThat(oneTime).hasSizeGreaterThanOrEqualTo(16);

            Api browser = first.anonymous().signIn("admin", oneTime);
            assertThat(browser.get("/api/v1/session").json().get("mustChangePassword").asBoolean()).isTrue();
            Api.Reply blocked = browser.get("/api/v1/devices");
            assertThat(blocked.status()).isEqualTo(403);
            assertThat(blocked.json().get("type").asText())
                    .isEqualTo("urn:lwm2m-fleet:problem:password-change-required");

            Api.Reply changed = browser.post("/api/v1/session/password",
                    "{\"currentPassword\":\"" + oneTime + "\",\"newPassword\":\"my-own-admin-password\"}");
            assertThat(changed.status()).isEqualTo(200);
            assertThat(changed.json().get("mustChangePassword").asBoolean()).isFalse();
            assertThat(file).doesNotExist();
            assertThat(first.anonymous().signIn("admin", "my-own-admin-password").get("/api/v1/devices").status())
                    .isEqualTo(200);
        }
    }

    @Test
    void underHttpsTheCookieIsSecureAndStrictTransportSecurityIsSent(@TempDir Path secure) throws Exception {
        try (TestServer https = TestServer.start(secure, b -> b.access(AccessConfig.defaults()
                .withAdminPassword(TestServer.ADMIN_PASSWORD).withPasswordIterations(TestServer.PASSWORD_ITERATIONS)
                .withHttps(null, null, null, null)))) {
            assertThat(https.server().httpUri().getScheme()).isEqualTo("https");
            Api.Reply signIn = https.anonymous().post("/api/v1/session",
                    "{\"username\":\"admin\",\"password\":\"" + TestServer.ADMIN_PASSWORD + "\"}");
            assertThat(signIn.status()).isEqualTo(200);
            assertThat(signIn.headers().firstValue("Set-Cookie").orElseThrow())
                    .contains("Secure", "HttpOnly", "SameSite=Strict");
            assertThat(signIn.headers().firstValue("Strict-Transport-Security")).isPresent();
            assertThat(https.api().get("/api/v1/devices").status()).isEqualTo(200);
        }
    }

    private static String token(Api api, String name, String role) {
        Api.Reply reply = api.post("/api/v1/tokens", "{\"name\":\"" + name + "\",\"role\":\"" + role + "\"}");
        assertThat(reply.status()).isEqualTo(201);
        return reply.json().get("token").asText();
    }

    /** A concrete path for a route template; the targets do not exist, which is the point. */
    private static String sample(String template) {
        return template.replace("{path*}", "3/0/1").replaceAll("\\{\\w+}", "0");
    }

    private static int call(Api api, String method, String path) throws Exception {
        if (path.equals("/api/v1/events")) {
            // A stream that never ends: the status line is all this needs.
            var response = api.http().send(api.request(path).GET().build(), BodyHandlers.ofInputStream());
            response.body().close();
            return response.statusCode();
        }
        return api.send(method, path, method.equals("GET") || method.equals("DELETE") ? null : "{}").status();
    }

    private static void check(List<String> wrong, String route, String who, int status, int expected) {
        if (status != expected) {
            wrong.add(route + " as " + who + ": " + status + ", expected " + expected);
        }
    }

    private static JsonNode find(JsonNode items, String field, String value) {
        for (JsonNode item : items) {
            if (item.path(field).asText().equals(value)) {
                return item;
            }
        }
        throw new AssertionError("no item with " + field + "=" + value + " in " + items);
    }
}
