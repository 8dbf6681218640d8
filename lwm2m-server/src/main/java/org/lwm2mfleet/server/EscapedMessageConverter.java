package org.lwm2mfleet.server;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@code %msg} with control characters escaped, so that text from outside (user names, endpoint names,
 * anything a device or an HTTP client sends) cannot end a log line and forge the next one. {@code logback.xml} puts it
 * in place of {@code %msg}, {@code %m} and {@code %message}: one mechanism for every log call, instead of escaping at
 * each call site and forgetting one.
 * <p>
 * Escaped: CR, LF and tab as {@code \r}, {@code \n}, {@code \t}; every other C0 and C1 control character, DEL, the
 * Unicode line and paragraph separators and the bidirectional overrides (which make a viewer show text in another
 * order than it is) as {@code \}{@code uXXXX}. A backslash is left alone: a literal {@code \n} in the text is
 * harmless, it cannot break a line. Stack traces ({@code %ex}) are multi-line by design and not touched.
 */
public final class EscapedMessageConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return escape(event.getFormattedMessage());
    }

    /** {@code text} with what could break or disguise a log line escaped; the same instance when nothing is. */
    public static String escape(String text) {
        if (text == null) {
            return null;
        }
        int i = 0;
        while (i < text.length() && !needsEscape(text.charAt(i))) {
            i++;
        }
        if (i == text.length()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static boolean needsEscape(char c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
    }
}
