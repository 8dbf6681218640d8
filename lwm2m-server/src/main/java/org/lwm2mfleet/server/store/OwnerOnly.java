package org.lwm2mfleet.server.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and folders of the data folder that only the server's user may read: the database holds PSKs and password
 * hashes, the keys folder private keys. On a file system without POSIX permissions they are created as usual.
 */
public final class OwnerOnly {

    private static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private OwnerOnly() {
    }

    /** Creates {@code dir} and its missing parents as rwx------; folders that exist are left as they are. */
    public static void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(FOLDER));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }

    /** Writes a new file as rw------- (replacing any file there), so that it is never readable by others. */
    public static void writeNew(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content);
    }

    /** Makes an existing file rw-------: for files another library creates with the default umask (H2's). */
    public static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, FILE);
        } catch (UnsupportedOperationException e) {
            // no POSIX permissions here: nothing to restrict
        }
    }
}
