package org.lwm2mfleet.server.ops;

import java.util.Locale;
import java.util.Map;

import org.eclipse.leshan.core.request.ContentFormat;
import org.lwm2mfleet.server.error.FleetException;

/** The content formats a request may ask for with {@code ?format=}; none means the best the device announced. */
final class Formats {

    private static final Map<String, ContentFormat> BY_NAME = Map.of(
            "tlv", ContentFormat.TLV,
            "json", ContentFormat.JSON,
            "senml-json", ContentFormat.SENML_JSON,
            "senml-cbor", ContentFormat.SENML_CBOR,
            "text", ContentFormat.TEXT,
            "opaque", ContentFormat.OPAQUE,
            "cbor", ContentFormat.CBOR);

    private Formats() {
    }

    /** @return the format, or null to let Leshan choose from what the device supports */
    static ContentFormat parse(String name) {
        if (name == null) {
            return null;
        }
        ContentFormat format = BY_NAME.get(name.toLowerCase(Locale.ROOT));
        if (format == null) {
            throw FleetException.invalid("format", "unknown format '" + name
                    + "': one of tlv, senml-json, senml-cbor, json, text, opaque, cbor");
        }
        return format;
    }
}
