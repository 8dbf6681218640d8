package org.lwm2mfleet.server.api;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Puts the security headers on every HTTP response: a Content-Security-Policy that lets the console load only its
 * own scripts, styles and API, no framing, no MIME sniffing, no referrer leaking device names.
 */
public final class SecurityHeadersHandler extends Handler.Wrapper {

    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none';"
            + " base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public SecurityHeadersHandler(Handler handler) {
        super(handler);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        HttpFields.Mutable headers = response.getHeaders();
        headers.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Referrer-Policy", "no-referrer");
        headers.put("X-Frame-Options", "DENY");
        if (request.isSecure()) {
            headers.put("Strict-Transport-Security", "max-age=31536000");
        }
        return super.handle(request, response, callback);
    }
}
