package org.lwm2mfleet.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The few REST calls the bench makes on an LwM2M Fleet server, with a bearer token. */
public final class FleetApi {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** A reply: status, body text and how long the call took. */
    public record Reply(int status, String body, long nanos) {

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + body, e);
            }
        }

        public boolean ok() {
            return status / 100 == 2;
        }
    }

    private final URI base;
    private final String token;
    private final HttpClient http;

    public FleetApi(URI base, String token) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Signs in as {@code username} (POST /api/v1/session) and creates an operator token with that session. */
    public static FleetApi signIn(URI base, String username, String password) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<String> session = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/session"))
                    .header("Content-Type", "application/json")
                    .POST(BodyPublishers.ofString(JSON.createObjectNode().put("username", username)
                            .put("password", password).toString())).build(), BodyHandlers.ofString());
            if (session.statusCode() != 200) {
                throw new IllegalStateException("sign-in as " + username + " failed: " + session.statusCode() + " "
                        + session.body());
            }
            String cookie = session.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            String csrf = JSON.readTree(session.body()).path("csrfToken").asText();
            HttpResponse<String> token = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/tokens"))
                    .header("Content-Type", "application/json").header("Cookie", cookie).header("X-CSRF-Token", csrf)
                    .POST(BodyPublishers.ofString("{\"name\":\"bench\",\"role\":\"admin\"}")).build(),
                    BodyHandlers.ofString());
            if (token.statusCode() != 201) {
                throw new IllegalStateException("cannot create a token: " + token.statusCode() + " " + token.body());
            }
            return new FleetApi(base, JSON.readTree(token.body()).path("token").asText());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public URI base() {
        return base;
    }

    public Reply get(String path) {
        return call(request(path).GET());
    }

    public Reply delete(String path) {
        return call(request(path).DELETE());
    }

    public Reply post(String path, String contentType, String body) {
        return call(request(path).header("Content-Type", contentType).POST(BodyPublishers.ofString(body)));
    }

    public Reply post(String path, String contentType, byte[] body) {
        return call(request(path).header("Content-Type", contentType).POST(BodyPublishers.ofByteArray(body)));
    }

    public CompletableFuture<Reply> postAsync(String path, String contentType, String body) {
        long start = System.nanoTime();
        return http.sendAsync(request(path).header("Content-Type", contentType).POST(BodyPublishers.ofString(body))
                .build(), BodyHandlers.ofString())
                .thenApply(r -> new Reply(r.statusCode(), r.body(), System.nanoTime() - start));
    }

    /** The Prometheus text of /metrics. */
    public String metrics() {
        return get("/metrics").body();
    }

    /** The sum of every sample of a metric in Prometheus text (all label sets), or NaN when absent. */
    public static double metric(String prometheusText, String name) {
        double sum = 0;
        boolean found = false;
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                String[] parts = line.trim().split("\\s+");
                try {
                    sum += Double.parseDouble(parts[parts.length - 1]);
                    found = true;
                } catch (NumberFormatException e) {
                    // a sample with a timestamp or an odd value: skip
                }
            }
        }
        return found ? sum : Double.NaN;
    }

    public double metric(String name) {
        return metric(metrics(), name);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT);
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private Reply call(HttpRequest.Builder request) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(request.build(), BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body(), System.nanoTime() - start);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
