package org.lwm2mfleet.server;

/** Reads Prometheus text format. */
final class Metrics {

    private Metrics() {
    }

    /** The sum of the samples of {@code name} (all label sets); 0 when absent. */
    static double sum(String scrape, String name) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
