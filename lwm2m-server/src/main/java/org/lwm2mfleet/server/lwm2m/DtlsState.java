package org.lwm2mfleet.server.lwm2m;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import org.eclipse.californium.elements.util.EncryptedPersistentComponentUtil;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpointsProvider;
import org.lwm2mfleet.server.store.OwnerOnly;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scandium's DTLS connections (session keys, epochs, sequence numbers, Connection IDs, peer addresses and
 * identities) saved at a graceful stop into {@code <data-dir>/dtls-state.bin}, encrypted with a random key of
 * {@code <data-dir>/keys/dtls-state.key}, and loaded at the next start before the sockets open: the devices go on
 * sending on their sessions, with no handshake. Californium does the serialisation and the encryption
 * ({@link EncryptedPersistentComponentUtil}: AES-256-GCM, so a changed file is refused, not half-loaded).
 * <p>
 * The file is deleted as soon as it is read, before any record is sent: loading the same state twice (after a crash
 * that followed a restart) would send records under the same keys and sequence numbers again, reusing AEAD nonces.
 * So after a crash there is no state, and devices handshake again.
 */
public final class DtlsState {

    private static final Logger LOG = LoggerFactory.getLogger(DtlsState.class);
    static final String FILE = "dtls-state.bin";
    static final String KEY_FILE = "dtls-state.key";
    /** Ahead of Californium's stream: a version, and when it was saved (for the maximum age). */
    private static final int FORMAT = 1;
    private static final int KEY_BYTES = 32;

    private final Path file;
    private final Path keyFile;
    private final Duration maxAge;
    private final Clock clock;

    public DtlsState(Path dataDir, Duration maxAge, Clock clock) {
        this.file = dataDir.resolve(FILE);
        this.keyFile = dataDir.resolve("keys").resolve(KEY_FILE);
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /**
     * Loads saved connections into the CoAPS connector of {@code leshan}, which must not be started yet.
     *
     * @return the connections loaded; 0 when there was no state, it was too old, or it could not be read
     */
    public int load(LeshanServer leshan) {
        if (!Files.exists(file)) {
            return 0;
        }
        byte[] saved;
        try {
            saved = Files.readAllBytes(file);
            Files.delete(file);
        } catch (IOException e) {
            // Not deleted: loading it would allow a second load of the same state later, see the class comment.
            LOG.error("saved DTLS state {} not loaded, devices will handshake again: {}", file, e.toString());
            return 0;
        }
        if (maxAge.isZero()) {
            LOG.info("saved DTLS state discarded: saving is turned off (dtls-state-max-age=PT0S)");
            return 0;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(saved))) {
            int format = in.readInt();
            Instant savedAt = Instant.ofEpochMilli(in.readLong());
            Duration age = Duration.between(savedAt, clock.instant());
            if (format != FORMAT) {
                LOG.warn("saved DTLS state discarded: unknown format {}", format);
                return 0;
            }
            if (age.compareTo(maxAge) > 0 || age.isNegative()) {
                LOG.info("saved DTLS state discarded: saved {} ago, more than dtls-state-max-age {}", age, maxAge);
                return 0;
            }
            SecretKey key = key(false);
            if (key == null) {
                LOG.warn("saved DTLS state discarded: its key {} is missing", keyFile);
                return 0;
            }
            int loaded = Math.max(0, util(leshan).loadComponents(in, key));
            LOG.info("DTLS state loaded: {} connections saved {} ago", loaded, age);
            return loaded;
        } catch (IOException | RuntimeException e) {
            LOG.warn("saved DTLS state discarded, devices will handshake again: {}", e.toString());
            return 0;
        }
    }

    /**
     * Saves the connections of the CoAPS connector of {@code leshan}, which must be stopped (Scandium refuses to save
     * a running connector) and not yet destroyed (that clears them). Connections quiet for longer than the maximum age
     * are left out. A failure is logged: the devices will handshake again, nothing worse.
     *
     * @return the connections saved
     */
    public int save(LeshanServer leshan) {
        if (maxAge.isZero()) {
            return 0;
        }
        try {
            SecretKey key = key(true);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream header = new DataOutputStream(bytes);
            header.writeInt(FORMAT);
            header.writeLong(clock.millis());
            header.flush();
            CountingUtil util = new CountingUtil();
            // Californium's default is AES-128-GCM; the key file holds 256 bits, so use them all.
            util.setWriteCipher("AES/GCM/256");
            util.addProvider(coapServer(leshan));
            util.saveComponents(bytes, key, maxAge.toSeconds());
            Path temporary = file.resolveSibling(FILE + ".tmp");
            writeOwnerOnly(temporary, bytes.toByteArray());
            Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            LOG.info("DTLS state saved: {} connections into {}", util.saved, file);
            return util.saved;
        } catch (IOException | RuntimeException e) {
            LOG.warn("DTLS state not saved, devices will handshake again after the restart: {}", e.toString());
            return 0;
        }
    }

    /** Californium's utility, remembering how many connections its save wrote. */
    private static final class CountingUtil extends EncryptedPersistentComponentUtil {
        int saved;

        @Override
        public int saveComponents(OutputStream out, long staleThresholdInSeconds) throws IOException {
            saved = super.saveComponents(out, staleThresholdInSeconds);
            return saved;
        }
    }

    private static EncryptedPersistentComponentUtil util(LeshanServer leshan) {
        EncryptedPersistentComponentUtil util = new EncryptedPersistentComponentUtil();
        util.addProvider(coapServer(leshan));
        return util;
    }

    private static org.eclipse.californium.core.CoapServer coapServer(LeshanServer leshan) {
        for (var provider : leshan.getEndpointsProvider()) {
            if (provider instanceof CaliforniumServerEndpointsProvider californium) {
                return californium.getCoapServer();
            }
        }
        throw new IllegalStateException("no Californium endpoints");
    }

    /** The key of the state file: random, made once (when {@code create}), owner-only like the other keys. */
    private SecretKey key(boolean create) throws IOException {
        byte[] secret;
        if (Files.exists(keyFile)) {
            secret = Files.readAllBytes(keyFile);
        } else if (create) {
            secret = new byte[KEY_BYTES];
            new SecureRandom().nextBytes(secret);
            OwnerOnly.createDirectories(keyFile.getParent());
            writeOwnerOnly(keyFile, secret);
        } else {
            return null;
        }
        try {
            // "PW": Californium derives the cipher key from it with a random seed per file.
            return new SecretKeySpec(secret, "PW");
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static void writeOwnerOnly(Path path, byte[] content) throws IOException {
        Files.deleteIfExists(path);
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(path);
        }
        Files.write(path, content, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
