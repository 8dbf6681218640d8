package org.lwm2mfleet.bench;

/**
 * One measured figure of a scenario.
 *
 * @param name short name, e.g. "registrations/s"
 * @param value the measurement (NaN when not measured)
 * @param unit e.g. "1/s", "ms", "bytes"
 * @param target the target as text (e.g. "≥ 2000"), or null
 * @param met whether the target is met; null without a target
 */
public record Figure(String name, double value, String unit, String target, Boolean met) {

    public static Figure of(String name, double value, String unit) {
        return new Figure(name, value, unit, null, null);
    }

    /** A figure that should be at least {@code min}. */
    public static Figure atLeast(String name, double value, String unit, double min) {
        return new Figure(name, value, unit, "≥ " + format(min), !Double.isNaN(value) && value >= min);
    }

    /** A figure that should be below {@code max}. */
    public static Figure below(String name, double value, String unit, double max) {
        return new Figure(name, value, unit, "< " + format(max), !Double.isNaN(value) && value < max);
    }

    /** A figure that should be at most {@code max}. */
    public static Figure atMost(String name, double value, String unit, double max) {
        return new Figure(name, value, unit, "≤ " + format(max), !Double.isNaN(value) && value <= max);
    }

    public static String format(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return String.format("%,d", (long) value);
        }
        return Math.abs(value) >= 100 ? String.format("%,.0f", value)
                : Math.abs(value) >= 1 ? String.format("%.2f", value) : String.format("%.4f", value);
    }
}
