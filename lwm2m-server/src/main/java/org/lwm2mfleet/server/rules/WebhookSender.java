package org.lwm2mfleet.server.rules;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * POSTs rule firings to webhooks: JSON signed with HMAC-SHA256 under the rule's secret
 * ({@code X-Fleet-Signature: sha256=<hex>} over the exact body bytes), retried with doubling back-off when the
 * receiver fails or cannot be reached. Every attempt of one delivery carries the same {@code X-Fleet-Delivery} id,
 * so a receiver can drop duplicates. Each connection goes to an address that {@link WebhookAddresses} checked at that
 * moment (Jetty's client takes our resolver, so the name is resolved once, checked, and those very addresses are
 * dialled; the Host header and TLS server name stay the URL's); a refused address is not retried.
 */
public final class WebhookSender implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
    static final int ATTEMPTS = 5;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Duration firstBackOff;
    private final MeterRegistry meters;
    /** Where retries wait: the server's shared scheduler. */
    private final org.lwm2mfleet.server.runtime.Scheduler retries;
    private volatile boolean stopped;
    private final WebhookAddresses addresses;
    private final HttpClient client = new HttpClient();

    /**
     * @param firstBackOff the wait before the second attempt; each later wait doubles
     * @param addresses which addresses a delivery may connect to
     */
    public WebhookSender(Duration firstBackOff, MeterRegistry meters, WebhookAddresses addresses,
            org.lwm2mfleet.server.runtime.Scheduler retries) {
        this.firstBackOff = firstBackOff;
        this.meters = meters;
        this.addresses = addresses;
        this.retries = retries;
        // DNS look-ups block a thread of this pool each (see resolve): room for some at once beside the I/O.
        QueuedThreadPool threads = new QueuedThreadPool(32, 1);
        threads.setName("webhooks");
        threads.setDaemon(true);
        client.setExecutor(threads);
        client.setConnectTimeout(TIMEOUT.toMillis());
        client.setFollowRedirects(false); // a redirect would lead to an address nobody checked
        client.setHttpCookieStore(new HttpCookieStore.Empty()); // one receiver's cookies are not the next delivery's
        client.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, "lwm2m-fleet"));
        client.setSocketAddressResolver(this::resolve);
    }

    /** Starts the HTTP client (and its threads). */
    @Override
    public void start() {
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("webhook HTTP client did not start", e);
        }
    }

    /** Jetty's resolver hook: resolve and check off the caller's thread (the rule evaluator must not wait on DNS). */
    private void resolve(String host, int port, Map<String, Object> context,
            Promise<List<InetSocketAddress>> promise) {
        try {
            client.getExecutor().execute(() -> {
                try {
                    List<InetAddress> checked = addresses.resolve(host);
                    promise.succeeded(checked.stream().map(a -> new InetSocketAddress(a, port)).toList());
                } catch (WebhookAddresses.Refused | java.net.UnknownHostException e) {
                    promise.failed(e);
                }
            });
        } catch (RejectedExecutionException stopping) {
            promise.failed(stopping);
        }
    }

    /** Sends {@code body}; the future tells the final outcome, in words, and never fails. */
    CompletableFuture<String> deliver(Rule.CallWebhook webhook, byte[] body) {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        attempt(webhook, body, UUID.randomUUID().toString(), 1, outcome);
        return outcome;
    }

    private void attempt(Rule.CallWebhook webhook, byte[] body, String delivery, int attempt,
            CompletableFuture<String> outcome) {
        client.POST(webhook.url()).timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> h.put("X-Fleet-Delivery", delivery)
                        .put("X-Fleet-Attempt", String.valueOf(attempt))
                        .put("X-Fleet-Signature", "sha256=" + sign(webhook.secret(), body)))
                .body(new BytesRequestContent("application/json", body)).send(result -> {
                    Throwable error = result.getFailure();
                    WebhookAddresses.Refused refused = refusal(error);
                    String failure = error != null ? error.getClass().getSimpleName() + ": " + error.getMessage()
                            : result.getResponse().getStatus() / 100 == 2 ? null
                                    : "HTTP " + result.getResponse().getStatus();
                    if (failure == null) {
                        meters.counter("rules.webhook.deliveries", "outcome", "delivered").increment();
                        outcome.complete("delivered (attempt " + attempt + ")");
                    } else if (refused != null) {
                        // A policy answer, not a passing fault: trying again would only ask DNS again.
                        meters.counter("rules.webhook.deliveries", "outcome", "refused").increment();
                        LOG.warn("webhook {} refused: {}", webhook.url(), refused.getMessage());
                        outcome.complete("refused: " + refused.getMessage());
                    } else if (attempt >= ATTEMPTS) {
                        meters.counter("rules.webhook.deliveries", "outcome", "failed").increment();
                        LOG.warn("webhook {} failed after {} attempts: {}", webhook.url(), attempt, failure);
                        outcome.complete("failed after " + attempt + " attempts: " + failure);
                    } else {
                        long wait = firstBackOff.toMillis() << (attempt - 1);
                        LOG.info("webhook {} attempt {} failed ({}), retrying in {} ms", webhook.url(), attempt,
                                failure, wait);
                        String abandoned = "abandoned at attempt " + attempt + ": the server stopped";
                        try {
                            retries.after("webhook-retry", Duration.ofMillis(wait), () -> {
                                if (stopped) {
                                    outcome.complete(abandoned);
                                } else {
                                    attempt(webhook, body, delivery, attempt + 1, outcome);
                                }
                            });
                        } catch (RejectedExecutionException | IllegalStateException stopping) {
                            outcome.complete(abandoned);
                        }
                    }
                });
    }

    private static WebhookAddresses.Refused refusal(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof WebhookAddresses.Refused refused) {
                return refused;
            }
        }
        return null;
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
        stopped = true;
        try {
            client.stop();
        } catch (Exception e) {
            LOG.debug("webhook HTTP client did not stop cleanly", e);
        }
    }
}
