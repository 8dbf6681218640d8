package org.lwm2mfleet.server.firmware;

import java.time.Instant;
import java.util.List;

/** An uploaded firmware image; the bytes are in the data folder under {@code firmware/}. */
public record FirmwareImage(long id, String name, String version, List<String> models, long size, String sha256,
        Instant uploadedAt, String uploadedBy) {
}
