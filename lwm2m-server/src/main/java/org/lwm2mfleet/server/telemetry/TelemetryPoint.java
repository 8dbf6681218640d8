package org.lwm2mfleet.server.telemetry;

/**
 * One reported value.
 *
 * @param timeMillis the device's timestamp where SenML gave one, else arrival time (epoch milliseconds)
 * @param number numbers as they are, booleans as 0/1, times as epoch seconds; null for text and opaque values
 * @param text strings, booleans, opaque values as Base64 and links; null for plain numbers
 * @param type the LwM2M type: FLOAT, INTEGER, BOOLEAN, STRING, TIME, OPAQUE, ...
 * @param source observe or send
 */
public record TelemetryPoint(String endpoint, String path, long timeMillis, Double number, String text, String type,
        String source) {
}
