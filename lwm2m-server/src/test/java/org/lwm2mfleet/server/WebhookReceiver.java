package org.lwm2mfleet.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/** A real HTTP receiver on loopback for webhooks: answers 500 to the first {@code failures} requests, then 204. */
final class WebhookReceiver implements AutoCloseable {

    record Received(String delivery, String signature, byte[] body) {
    }

    private final HttpServer http;
    private final AtomicInteger toFail;
    private final List<Received> received = new ArrayList<>();

    WebhookReceiver(int failures) throws IOException {
        toFail = new AtomicInteger(failures);
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/hook", this::handle);
        http.start();
    }

    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort() + "/hook";
    }

    synchronized List<Received> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        synchronized (this) {
            received.add(new Received(exchange.getRequestHeaders().getFirst("X-Fleet-Delivery"),
                    exchange.getRequestHeaders().getFirst("X-Fleet-Signature"), body));
        }
        exchange.sendResponseHeaders(toFail.getAndDecrement() > 0 ? 500 : 204, -1);
        exchange.close();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
