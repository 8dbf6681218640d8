package org.lwm2mfleet.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /api/v1/openapi.json}: the OpenAPI description of the REST API, open like the documentation it is.
 * Each operation names its route ({@code x-route}) and least role ({@code x-required-role}); a test checks both
 * against the router, so the document cannot drift from the server.
 */
public final class OpenApiResource {

    private final byte[] document;

    public OpenApiResource() {
        try (InputStream in = OpenApiResource.class.getResourceAsStream("/openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void register(Router router) {
        router.open("GET", "/api/v1/openapi.json", e -> e.send(200, Exchange.JSON, document));
    }
}
