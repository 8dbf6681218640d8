package org.lwm2mfleet.server.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure someone can sign in on a fresh installation, with no default password: user {@code admin} gets the
 * configured password, or a one-time password written to a file only this user can read (the log names the file,
 * never the password), which must be changed at first sign-in (and the file is then deleted).
 */
public final class FirstAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(FirstAdmin.class);
    public static final String USERNAME = "admin";
    private static final String ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private final Path passwordFile;

    public FirstAdmin(Path dataDir) {
        this.passwordFile = dataDir.resolve("initial-admin-password");
    }

    /** Creates the first admin when there is no user at all; does nothing otherwise. */
    public void ensure(Users users, String configuredPassword) {
        if (!users.none()) {
            if (Files.exists(passwordFile)) {
                LOG.warn("sign in as '{}' with the one-time password in {} and change it", USERNAME,
                        passwordFile.toAbsolutePath());
            }
            return;
        }
        if (configuredPassword != null) {
            users.create(USERNAME, configuredPassword, Role.ADMIN, false);
            LOG.info("created user '{}' with the configured admin password", USERNAME);
            return;
        }
        String password = randomPassword();
        // The file first: a user whose password was never written anywhere would lock everyone out.
        write(password);
        users.create(USERNAME, password, Role.ADMIN, true);
        // The log says where, never what: logs are shipped, kept and read by more people than the file's owner.
        LOG.warn("first start: sign in as '{}' with the one-time password in {} (readable by this user only); it"
                + " must be changed at first sign-in", USERNAME, passwordFile.toAbsolutePath());
    }

    /** The one-time password has served its purpose once its user has chosen their own. */
    public void passwordChanged(String username) {
        if (USERNAME.equals(username)) {
            try {
                Files.deleteIfExists(passwordFile);
            } catch (IOException e) {
                LOG.warn("could not delete {}: {}", passwordFile, e.toString());
            }
        }
    }

    public Path passwordFile() {
        return passwordFile;
    }

    private void write(String password) {
        try {
            Files.deleteIfExists(passwordFile);
            try {
                Files.createFile(passwordFile,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(passwordFile);
            }
            Files.writeString(passwordFile, password + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + passwordFile, e);
        }
    }

    private static String randomPassword() {
        SecureRandom random = new SecureRandom();
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            password.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }
}
