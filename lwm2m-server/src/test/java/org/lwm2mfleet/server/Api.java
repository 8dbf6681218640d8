package org.lwm2mfleet.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

import org.lwm2mfleet.server.api.Json;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A real HTTP client for the server's REST API, returning parsed JSON. It calls anonymously, with a bearer token
 * ({@link #withToken}) or as a signed-in browser would ({@link #withSession}).
 */
public final class Api {

    /** A reply: status, content type and the body parsed as JSON (null when empty or not JSON). */
    public record Reply(int status, String contentType, String text, JsonNode json,
            java.net.http.HttpHeaders headers) {

        public Reply(int status, String contentType, String text, JsonNode json) {
            this(status, contentType, text, json, null);
        }
    }

    private final URI base;
    private final HttpClient http;
    private final String token;
    private final String sessionCookie;
    private final String csrfToken;

    /** Anonymous. */
    public Api(URI base) {
        this(base, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), null, null, null);
    }

    public Api(URI base, HttpClient http, String token, String sessionCookie, String csrfToken) {
        this.base = base;
        this.http = http;
        this.token = token;
        this.sessionCookie = sessionCookie;
        this.csrfToken = csrfToken;
    }

    /** Signs in and returns an API that uses a new admin token of that user. */
    public static Api admin(URI base, HttpClient http, String username, String password) {
        Api browser = new Api(base, http, null, null, null).signIn(username, password);
        Reply created = browser.post("/api/v1/tokens", "{\"name\":\"tests\",\"role\":\"admin\"}");
        if (created.status() != 201) {
            throw new IllegalStateException("cannot create the tests' token: " + created.text());
        }
        return new Api(base, http, created.json().get("token").asText(), null, null);
    }

    /** The same server with a bearer token. */
    public Api withToken(String bearer) {
        return new Api(base, http, bearer, null, null);
    }

    /** The same server as a browser: the session cookie, and the CSRF header when {@code csrf} is not null. */
    public Api withSession(String cookie, String csrf) {
        return new Api(base, http, null, cookie, csrf);
    }

    /** Signs in over {@code POST /api/v1/session} and returns the browser-like API (cookie and CSRF header). */
    public Api signIn(String username, String password) {
        Reply reply = new Api(base, http, null, null, null).post("/api/v1/session",
                Json.MAPPER.createObjectNode().put("username", username).put("password", password).toString());
        if (reply.status() != 200) {
            throw new IllegalStateException("sign-in failed: " + reply.status() + " " + reply.text());
        }
        String cookie = reply.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        return withSession(cookie, reply.json().get("csrfToken").asText());
    }

    public String token() {
        return token;
    }

    public URI uri(String path) {
        return base.resolve(path);
    }

    /** A request to the server carrying this API's credentials, for bodies and answers the helpers don't cover. */
    public HttpRequest.Builder request(String path) {
        return authorize(HttpRequest.newBuilder(uri(path)));
    }

    public HttpClient http() {
        return http;
    }

    public Reply get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public Reply delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    public Reply post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(json)));
    }

    public Reply post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(BodyPublishers.ofString(body)));
    }

    public Reply put(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .PUT(BodyPublishers.ofString(json)));
    }

    public Reply send(String method, String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json").method(method,
                json == null ? HttpRequest.BodyPublishers.noBody() : BodyPublishers.ofString(json)));
    }

    private HttpRequest.Builder authorize(HttpRequest.Builder request) {
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (sessionCookie != null) {
            request.header("Cookie", sessionCookie);
        }
        if (csrfToken != null) {
            request.header("X-CSRF-Token", csrfToken);
        }
        return request;
    }

    private Reply send(HttpRequest.Builder request) {
        authorize(request);
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    BodyHandlers.ofString());
            String type = response.headers().firstValue("Content-Type").orElse("");
            JsonNode json = null;
            if (type.contains("json") && !response.body().isEmpty()) {
                json = Json.MAPPER.readTree(response.body());
            }
            return new Reply(response.statusCode(), type, response.body(), json, response.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
