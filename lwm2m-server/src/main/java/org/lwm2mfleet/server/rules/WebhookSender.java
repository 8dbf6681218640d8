package org.lwm2mfleet.server.rules;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.lwm2mfleet.server.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * POSTs rule firings to webhooks: JSON signed with HMAC-SHA256 under the rule's secret
 * ({@code X-Fleet-Signature: sha256=<hex>} over the exact body bytes), retried with doubling back-off when the
 * receiver fails or cannot be reached. Every attempt of one delivery carries the same {@code X-Fleet-Delivery} id,
 * so a receiver can drop duplicates.
 */
public final class WebhookSender implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
    static final int ATTEMPTS = 5;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Duration firstBackOff;
    private final MeterRegistry meters;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("webhook-retries"));
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /** @param firstBackOff the wait before the second attempt; each later wait doubles */
    public WebhookSender(Duration firstBackOff, MeterRegistry meters) {
        this.firstBackOff = firstBackOff;
        this.meters = meters;
    }

    /** Sends {@code body}; the future tells the final outcome, in words, and never fails. */
    CompletableFuture<String> deliver(Rule.CallWebhook webhook, byte[] body) {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        attempt(webhook, body, UUID.randomUUID().toString(), 1, outcome);
        return outcome;
    }

    private void attempt(Rule.CallWebhook webhook, byte[] body, String delivery, int attempt,
            CompletableFuture<String> outcome) {
        HttpRequest request = HttpRequest.newBuilder(webhook.url()).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .header("User-Agent", "lwm2m-fleet")
                .header("X-Fleet-Delivery", delivery)
                .header("X-Fleet-Attempt", String.valueOf(attempt))
                .header("X-Fleet-Signature", "sha256=" + sign(webhook.secret(), body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            String failure = error != null ? error.getClass().getSimpleName() + ": " + error.getMessage()
                    : response.statusCode() / 100 == 2 ? null : "HTTP " + response.statusCode();
            if (failure == null) {
                meters.counter("rules.webhook.deliveries", "outcome", "delivered").increment();
                outcome.complete("delivered (attempt " + attempt + ")");
            } else if (attempt >= ATTEMPTS) {
                meters.counter("rules.webhook.deliveries", "outcome", "failed").increment();
                LOG.warn("webhook {} failed after {} attempts: {}", webhook.url(), attempt, failure);
                outcome.complete("failed after " + attempt + " attempts: " + failure);
            } else {
                long wait = firstBackOff.toMillis() << (attempt - 1);
                LOG.info("webhook {} attempt {} failed ({}), retrying in {} ms", webhook.url(), attempt, failure,
                        wait);
                try {
                    retries.schedule(() -> attempt(webhook, body, delivery, attempt + 1, outcome), wait,
                            TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    outcome.complete("abandoned at attempt " + attempt + ": the server stopped");
                }
            }
        });
    }

    /** The hex HMAC-SHA256 of {@code body} under {@code secret}: what a receiver recomputes to trust a request. */
    public static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
