package org.lwm2mfleet.server.auth;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * REST for access control: sign-in and sign-out ({@code /api/v1/session}), password change, users (admin), API
 * tokens, and the audit log (admin).
 */
public final class AccessResource {

    private static final Logger LOG = LoggerFactory.getLogger(AccessResource.class);

    private final Users users;
    private final ApiTokens tokens;
    private final Sessions sessions;
    private final LoginThrottle throttle;
    private final AuditLog audit;
    private final FirstAdmin firstAdmin;
    private final Counter loginFailures;
    private final Counter loginLockouts;

    public AccessResource(Users users, ApiTokens tokens, Sessions sessions, LoginThrottle throttle, AuditLog audit,
            FirstAdmin firstAdmin, MeterRegistry meters) {
        this.users = users;
        this.tokens = tokens;
        this.sessions = sessions;
        this.throttle = throttle;
        this.audit = audit;
        this.firstAdmin = firstAdmin;
        this.loginFailures = Counter.builder("http.login.failures").description("Refused sign-ins")
                .register(meters);
        this.loginLockouts = Counter.builder("http.login.lockouts")
                .description("Sign-ins refused because the user or address was locked after repeated failures")
                .register(meters);
    }

    public void register(Router router) {
        router.open("POST", "/api/v1/session", this::signIn);
        router.get("/api/v1/session", this::whoAmI);
        router.delete("/api/v1/session", Role.VIEWER, this::signOut);
        router.post("/api/v1/session/password", Role.VIEWER, this::changePassword);
        router.get("/api/v1/users", Role.ADMIN, this::listUsers);
        router.post("/api/v1/users", Role.ADMIN, this::createUser);
        router.put("/api/v1/users/{username}", Role.ADMIN, this::updateUser);
        router.delete("/api/v1/users/{username}", Role.ADMIN, this::deleteUser);
        router.get("/api/v1/tokens", this::listTokens);
        router.post("/api/v1/tokens", Role.VIEWER, this::createToken);
        router.delete("/api/v1/tokens/{id}", Role.VIEWER, this::revokeToken);
        router.get("/api/v1/audit", Role.ADMIN, this::listAudit);
    }

    private void signIn(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        String username = text(body, "username", true);
        String password = text(body, "password", true);
        String address = Request.getRemoteAddr(exchange.request());
        Duration wait = throttle.wait(username, address);
        if (!wait.isZero()) {
            loginLockouts.increment();
            // No password hash was spent on this attempt, so nothing limits how fast they come: counted, not a row each.
            audit.refusedWhileLocked(username, address);
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            exchange.response().getHeaders().put(HttpHeader.RETRY_AFTER, String.valueOf(seconds));
            throw new FleetException(ProblemType.TOO_MANY_ATTEMPTS, null,
                    "too many failed sign-ins: try again in " + seconds + " s");
        }
        Optional<User> user = users.authenticate(username, password);
        if (user.isEmpty()) {
            loginFailures.increment();
            boolean locked = throttle.failed(username, users.find(username).isPresent(), address);
            audit.record(username, "sign-in", null, locked ? "failed, now locked" : "failed", address);
            LOG.info("sign-in refused for user '{}' from {}", username, address);
            // The same words whether the user exists or not.
            throw new FleetException(ProblemType.UNAUTHORIZED, null, "wrong user name or password");
        }
        throttle.succeeded(username);
        audit.record(username, "sign-in", null, "ok", address);
        startSession(exchange, user.get());
    }

    private void startSession(Exchange exchange, User user) {
        Sessions.Session session = sessions.start(user);
        // SameSite=Strict: the cookie never rides along on a request another site makes the browser send.
        String cookie = Authenticator.SESSION_COOKIE + "=" + session.id() + "; Path=/; HttpOnly; SameSite=Strict"
                + "; Max-Age=" + sessions.maxAge().toSeconds() + (exchange.request().isSecure() ? "; Secure" : "");
        exchange.response().getHeaders().add(HttpHeader.SET_COOKIE, cookie);
        exchange.json(200, sessionView(session.principal(), session.csrfToken()));
    }

    private void whoAmI(Exchange exchange) {
        Principal principal = Principal.of(exchange);
        String csrf = principal.viaSession() ? sessionCsrf(exchange) : null;
        exchange.json(200, sessionView(principal, csrf));
    }

    private String sessionCsrf(Exchange exchange) {
        return sessions.touch(exchange.cookie(Authenticator.SESSION_COOKIE)).map(Sessions.Session::csrfToken).orElse(null);
    }

    private void signOut(Exchange exchange) {
        sessions.end(Principal.of(exchange).sessionId());
        exchange.response().getHeaders().add(HttpHeader.SET_COOKIE, Authenticator.SESSION_COOKIE
                + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (exchange.request().isSecure() ? "; Secure" : ""));
        exchange.noContent();
    }

    private void changePassword(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        Principal principal = Principal.of(exchange);
        users.changePassword(principal.username(), text(body, "currentPassword", true),
                text(body, "newPassword", true));
        sessions.endAllOf(principal.username());
        firstAdmin.passwordChanged(principal.username());
        if (principal.viaSession()) {
            startSession(exchange, users.get(principal.username()));
        } else {
            exchange.noContent();
        }
    }

    private void listUsers(Exchange exchange) {
        exchange.json(200, Map.of("items", users.all().stream().map(AccessResource::userView).toList()));
    }

    private void createUser(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        Role role = Role.parse("role", text(body, "role", true));
        boolean mustChange = !body.has("mustChangePassword") || body.get("mustChangePassword").asBoolean(true);
        User user = users.create(text(body, "username", true), text(body, "password", true), role, mustChange);
        exchange.response().getHeaders().put("Location", "/api/v1/users/" + user.username());
        exchange.json(201, userView(user));
    }

    private void updateUser(Exchange exchange) {
        String username = exchange.path("username");
        JsonNode body = exchange.bodyJson();
        User user = users.get(username);
        boolean lastAdmin = user.role() == Role.ADMIN && !user.disabled() && users.activeAdmins() <= 1;
        String roleText = text(body, "role", false);
        if (roleText != null) {
            Role role = Role.parse("role", roleText);
            if (lastAdmin && role != Role.ADMIN) {
                throw new FleetException(ProblemType.CONFLICT, "role", "the last admin cannot lose the admin role");
            }
            users.setRole(username, role);
        }
        if (body.has("disabled")) {
            if (!body.get("disabled").isBoolean()) {
                throw FleetException.invalid("disabled", "must be true or false");
            }
            if (lastAdmin && body.get("disabled").asBoolean()) {
                throw new FleetException(ProblemType.CONFLICT, "disabled", "the last admin cannot be disabled");
            }
            users.setDisabled(username, body.get("disabled").asBoolean());
        }
        String password = text(body, "password", false);
        if (password != null) {
            // An admin-set password is one-time unless said otherwise: only its user should know theirs.
            users.setPassword(username, "password", password,
                    !body.has("mustChangePassword") || body.get("mustChangePassword").asBoolean(true));
        }
        sessions.endAllOf(username);
        exchange.json(200, userView(users.get(username)));
    }

    private void deleteUser(Exchange exchange) {
        String username = exchange.path("username");
        User user = users.get(username);
        if (user.role() == Role.ADMIN && !user.disabled() && users.activeAdmins() <= 1) {
            throw new FleetException(ProblemType.CONFLICT, "username", "the last admin cannot be deleted");
        }
        users.delete(username);
        sessions.endAllOf(username);
        exchange.noContent();
    }

    private void listTokens(Exchange exchange) {
        Principal principal = Principal.of(exchange);
        List<ApiToken> list = principal.role() == Role.ADMIN ? tokens.all() : tokens.ownedBy(principal.username());
        exchange.json(200, Map.of("items", list.stream().map(AccessResource::tokenView).toList()));
    }

    private void createToken(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        Principal principal = Principal.of(exchange);
        String roleText = text(body, "role", false);
        Role role = roleText == null ? principal.role() : Role.parse("role", roleText);
        if (!principal.role().includes(role)) {
            throw new FleetException(ProblemType.FORBIDDEN, "role", "a token's role cannot be higher than its"
                    + " creator's: " + principal.actor() + " is " + principal.role().id());
        }
        Instant expiresAt = null;
        String expires = text(body, "expiresAt", false);
        if (expires != null) {
            try {
                expiresAt = Instant.parse(expires);
            } catch (DateTimeParseException e) {
                throw FleetException.invalid("expiresAt", "must be an ISO-8601 instant such as 2027-01-31T00:00:00Z");
            }
        }
        ApiTokens.Created created = tokens.create(principal.username(), text(body, "name", true), role, expiresAt);
        Map<String, Object> view = tokenView(created.token());
        view.put("token", created.secret());
        exchange.json(201, view);
    }

    private void revokeToken(Exchange exchange) {
        long id;
        try {
            id = Long.parseLong(exchange.path("id"));
        } catch (NumberFormatException e) {
            throw FleetException.invalid("id", "must be a token id");
        }
        Principal principal = Principal.of(exchange);
        ApiToken token = tokens.get(id);
        if (principal.role() != Role.ADMIN && !token.owner().equals(principal.username())) {
            // Someone else's token is as good as no token, to this caller.
            throw FleetException.notFound("no token " + id);
        }
        tokens.revoke(id);
        exchange.noContent();
    }

    private void listAudit(Exchange exchange) {
        int limit = exchange.queryInt("limit", 100);
        if (limit < 1 || limit > 1000) {
            throw FleetException.invalid("limit", "must be between 1 and 1000");
        }
        String before = exchange.query("before");
        Long beforeId;
        try {
            beforeId = before == null ? null : Long.valueOf(before);
        } catch (NumberFormatException e) {
            throw FleetException.invalid("before", "must be an audit entry id");
        }
        exchange.json(200, Map.of("items", audit.list(exchange.query("actor"), beforeId, limit)));
    }

    private static Map<String, Object> sessionView(Principal principal, String csrfToken) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("username", principal.username());
        view.put("role", principal.role().id());
        view.put("mustChangePassword", principal.mustChangePassword());
        if (principal.tokenName() != null) {
            view.put("token", principal.tokenName());
        }
        if (csrfToken != null) {
            view.put("csrfToken", csrfToken);
        }
        return view;
    }

    private static Map<String, Object> userView(User user) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("username", user.username());
        view.put("role", user.role().id());
        view.put("disabled", user.disabled());
        view.put("mustChangePassword", user.mustChangePassword());
        view.put("createdAt", user.createdAt());
        view.put("lastLoginAt", user.lastLoginAt());
        return view;
    }

    private static Map<String, Object> tokenView(ApiToken token) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", token.id());
        view.put("name", token.name());
        view.put("owner", token.owner());
        view.put("role", token.role().id());
        view.put("createdAt", token.createdAt());
        view.put("expiresAt", token.expiresAt());
        view.put("lastUsedAt", token.lastUsedAt());
        return view;
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw FleetException.invalid(field, "is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw FleetException.invalid(field, "must be a string");
        }
        return value.asText();
    }
}
