package org.lwm2mfleet.server.api;

/** One component's state in {@code GET /health}: {@code detail} says why it is down (null when up). */
public record Health(boolean up, String detail) {

    public static Health ok() {
        return new Health(true, null);
    }

    public static Health down(String detail) {
        return new Health(false, detail);
    }
}
