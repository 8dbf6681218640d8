package org.lwm2mfleet.server.firmware;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.store.DataAccessException;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firmware images: files in {@code <data-dir>/firmware/}, metadata in table firmware_images. An upload is streamed
 * to a temporary file next to its final place, hashed on the way, and stopped as soon as it passes the size limit:
 * an oversized upload is refused with 413 and leaves no file.
 */
public final class FirmwareImages implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareImages.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._\\- ]{1,255}");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._+\\-]{1,64}");

    private final Jdbc jdbc;
    private final Path folder;
    private final long maxBytes;
    private final Clock clock;

    public FirmwareImages(Jdbc jdbc, Path folder, long maxBytes, Clock clock) {
        this.jdbc = jdbc;
        this.folder = folder;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    /** Creates the images' folder and removes what uploads cut short by a stop left in it. */
    @Override
    public void start() {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + folder, e);
        }
        removeInterruptedUploads();
    }

    @Override
    public void close() {
        // Nothing runs in the background: an upload under way belongs to its HTTP request.
    }

    /**
     * An upload cut short by a crash or a stop leaves its temporary file (the {@code finally} of {@link #upload} never
     * ran): at start no upload is under way in this data folder, so every one left is garbage.
     */
    private void removeInterruptedUploads() {
        try (var parts = Files.newDirectoryStream(folder, "upload-*.part")) {
            for (Path part : parts) {
                Files.deleteIfExists(part);
                LOG.info("removed interrupted firmware upload {}", part.getFileName());
            }
        } catch (IOException e) {
            LOG.warn("could not remove interrupted firmware uploads in {}: {}", folder, e.toString());
        }
    }

    /** @param declaredLength the Content-Length, or -1 when the upload is chunked */
    public FirmwareImage upload(String name, String version, List<String> models, long declaredLength,
            InputStream content, String uploader) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw FleetException.invalid("name", "1 to 255 letters, digits, spaces or . _ -");
        }
        if (version == null || !VERSION.matcher(version).matches()) {
            throw FleetException.invalid("version", "1 to 64 letters, digits or . _ + -");
        }
        if (declaredLength > maxBytes) {
            throw tooLarge();
        }
        Path temporary = null;
        try {
            temporary = Files.createTempFile(folder, "upload-", ".part");
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long size = 0;
            byte[] buffer = new byte[64 * 1024];
            try (OutputStream out = Files.newOutputStream(temporary)) {
                for (int read = content.read(buffer); read >= 0; read = content.read(buffer)) {
                    size += read;
                    if (size > maxBytes) {
                        throw tooLarge();
                    }
                    sha256.update(buffer, 0, read);
                    out.write(buffer, 0, read);
                }
            }
            if (size == 0) {
                throw FleetException.invalid("body", "the image is empty");
            }
            String digest = HexFormat.of().formatHex(sha256.digest());
            String fileName = digest + ".bin";
            Files.move(temporary, folder.resolve(fileName), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            temporary = null;
            long id;
            try {
                id = jdbc.insert("INSERT INTO firmware_images (name, version, models, size_bytes, sha256, file_name,"
                        + " uploaded_at, uploaded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", name, version,
                        models.isEmpty() ? null : String.join(",", models), size, digest, fileName, clock.instant(),
                        uploader);
            } catch (DataAccessException e) {
                if (e.isUniqueViolation()) {
                    throw new FleetException(ProblemType.CONFLICT, "version",
                            "image '" + name + "' version " + version + " already exists");
                }
                throw e;
            }
            LOG.info("firmware image uploaded id={} name={} version={} size={} sha256={}", id, name, version, size,
                    digest);
            return get(id);
        } catch (IOException e) {
            throw new FleetException(ProblemType.INVALID_INPUT, "body", "upload interrupted: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    LOG.warn("could not delete partial upload {}", temporary);
                }
            }
        }
    }

    public List<FirmwareImage> list() {
        return jdbc.query(SELECT + " ORDER BY id", FirmwareImages::map);
    }

    public FirmwareImage get(long id) {
        return find(id).orElseThrow(() -> FleetException.notFound("no firmware image " + id));
    }

    public Optional<FirmwareImage> find(long id) {
        return jdbc.queryOne(SELECT + " WHERE id = ?", FirmwareImages::map, id);
    }

    /** Where the bytes of the image with this digest are. */
    Path fileOf(String sha256) {
        return folder.resolve(sha256 + ".bin");
    }

    /**
     * The image's bytes, for a push (a Block1 write carries the whole body). Downloads do not come here: they read
     * one block at a time from {@link #fileOf}. The last few pushed images are kept, for a push campaign.
     */
    public byte[] bytes(long id) {
        synchronized (recent) {
            byte[] cached = recent.get(id);
            if (cached != null) {
                return cached;
            }
        }
        try {
            byte[] bytes = Files.readAllBytes(fileOf(get(id).sha256()));
            synchronized (recent) {
                recent.put(id, bytes);
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("firmware file of image " + id + " is missing", e);
        }
    }

    /** The images downloaded last, least recently used first out. */
    private final java.util.Map<Long, byte[]> recent = new java.util.LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<Long, byte[]> eldest) {
            return size() > 4;
        }
    };

    /** Deletes an image that no device update uses; the file goes when no other image shares it. */
    public void delete(long id) {
        FirmwareImage image = get(id);
        boolean used = jdbc.queryOne("SELECT 1 FROM firmware_updates WHERE image_id = ? UNION ALL"
                + " SELECT 1 FROM campaigns WHERE image_id = ?", row -> true, id, id).isPresent();
        if (used) {
            throw new FleetException(ProblemType.CONFLICT, null,
                    "image " + id + " is used by a campaign or a device update; it cannot be deleted");
        }
        jdbc.update("DELETE FROM firmware_images WHERE id = ?", id);
        synchronized (recent) {
            recent.remove(id);
        }
        boolean shared = jdbc.queryOne("SELECT 1 FROM firmware_images WHERE sha256 = ?", row -> true, image.sha256())
                .isPresent();
        if (!shared) {
            try {
                Files.deleteIfExists(folder.resolve(image.sha256() + ".bin"));
            } catch (IOException e) {
                LOG.warn("could not delete firmware file of image {}", id);
            }
        }
    }

    private static final String SELECT = "SELECT id, name, version, models, size_bytes, sha256, uploaded_at,"
            + " uploaded_by FROM firmware_images";

    private static FirmwareImage map(java.sql.ResultSet row) throws java.sql.SQLException {
        String models = row.getString("models");
        return new FirmwareImage(row.getLong("id"), row.getString("name"), row.getString("version"),
                models == null ? List.of() : Arrays.asList(models.split(",")), row.getLong("size_bytes"),
                row.getString("sha256"), Jdbc.instant(row, "uploaded_at"), row.getString("uploaded_by"));
    }

    private FleetException tooLarge() {
        return new FleetException(ProblemType.PAYLOAD_TOO_LARGE, "body",
                "the image is larger than " + maxBytes + " bytes (--firmware-max-size)");
    }
}
