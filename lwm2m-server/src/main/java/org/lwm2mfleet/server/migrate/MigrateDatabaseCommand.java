package org.lwm2mfleet.server.migrate;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import org.lwm2mfleet.server.config.InvalidConfigException;
import org.lwm2mfleet.server.config.ServerConfig;
import org.lwm2mfleet.server.store.DataAccessException;
import org.lwm2mfleet.server.store.Database;
import org.lwm2mfleet.server.store.DatabaseCopy;
import org.lwm2mfleet.server.store.Dialect;
import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.store.OwnerOnly;
import org.lwm2mfleet.server.telemetry.PostgresTelemetryStore;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwm2m-server migrate-database --from DATA_DIR --to jdbc:postgresql://...}: moves a stopped one-node fleet
 * from its H2 file into PostgreSQL, with the files of its data folder, and checks that every table arrived whole.
 * Exit codes: 0 copied and verified, 1 the counts differ or the copy failed, 2 refused (bad options, non-empty
 * target).
 */
@Command(name = "migrate-database", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Copy a stopped server's H2 database (and its data folder's files) into PostgreSQL, then"
                + " compare the row counts of every table.")
public final class MigrateDatabaseCommand implements Callable<Integer> {

    /** Rows per INSERT batch: large enough that round trips do not dominate, small enough for any heap. */
    static final int BATCH_SIZE = 1_000;
    private static final long DAY_MILLIS = 86_400_000L;

    @Option(names = "--from", required = true, paramLabel = "DIR", description = "Data folder of the stopped H2 server (holds fleet.mv.db).")
    Path from;

    @Option(names = "--to", required = true, paramLabel = "JDBC_URL", description = "jdbc:postgresql://HOST:PORT/DB of the new database (PostgreSQL 15 or newer).")
    String to;

    @Option(names = "--to-user", paramLabel = "USER", description = "User of the new database.")
    String toUser;

    @Option(names = "--to-password", paramLabel = "PASSWORD", description = "Password of --to-user (prefer --to-password-file or LWM2M_FLEET_TO_PASSWORD: command lines are visible to other users).")
    String toPassword;

    @Option(names = "--to-password-file", paramLabel = "FILE", description = "File whose first line is the password of --to-user.")
    Path toPasswordFile;

    @Option(names = "--to-data-dir", paramLabel = "DIR", description = "Data folder of the new server: the files of --from (firmware images, keys) are copied there, all but the H2 database. Required when there are firmware images, unless it is --from itself.")
    Path toDataDir;

    @Option(names = "--allow-non-empty", description = "Copy even though tables of the target already hold rows (they must not collide).")
    boolean allowNonEmpty;

    private PrintStream out = System.out;
    private PrintStream err = System.err;

    /** Where the report and the errors go (tests read them). */
    public MigrateDatabaseCommand printingTo(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        return this;
    }

    @Override
    public Integer call() {
        try {
            return migrate();
        } catch (InvalidConfigException e) {
            err.println("Cannot migrate: " + e.getMessage());
            return 2;
        } catch (DataAccessException | IllegalStateException | UncheckedIOException e) {
            err.println("Migration failed, the target database is left as it was before the copy: " + e.getMessage());
            return 1;
        }
    }

    private int migrate() {
        if (Dialect.of(to) != Dialect.POSTGRESQL) {
            throw new InvalidConfigException("to", "must be a jdbc:postgresql:// URL");
        }
        if (!Files.isRegularFile(from.resolve("fleet.mv.db"))) {
            // H2 would create an empty database there and the copy would "succeed" with nothing.
            throw new InvalidConfigException("from", "has no fleet database (fleet.mv.db): " + from.toAbsolutePath());
        }
        String password = password();
        try (Database source = openSource(); Database target = openTarget(password)) {
            DatabaseCopy copy = new DatabaseCopy(source.dataSource(), target.dataSource(), BATCH_SIZE);
            List<Path> images = firmwareFiles(source);
            boolean sameFolder = toDataDir != null && sameFile(from, toDataDir);
            if (!images.isEmpty() && toDataDir == null) {
                throw new InvalidConfigException("to-data-dir", "is required: the fleet has " + images.size()
                        + " firmware image file(s) in " + from.resolve("firmware") + " that the new server must serve");
            }
            java.util.Map<String, Long> before = copy.targetCounts();
            List<String> nonEmpty = before.entrySet().stream().filter(e -> e.getValue() > 0)
                    .map(java.util.Map.Entry::getKey).toList();
            if (!nonEmpty.isEmpty() && !allowNonEmpty) {
                throw new InvalidConfigException("to", "the target already holds rows in " + String.join(", ", nonEmpty)
                        + " (use --allow-non-empty to copy into it all the same)");
            }
            if (toDataDir != null && !sameFolder) {
                // Files first: a clash there stops everything before a single row is written.
                copyDataFolder(images);
            }
            PostgresTelemetryStore telemetry = new PostgresTelemetryStore(target.dataSource(),
                    Jdbc.over(target.dataSource()));
            copy.copy((table, connection) -> {
                if (table.equals("telemetry_points")) {
                    // The partitioned table takes rows only into the partitions of their days.
                    List<Long> days = new ArrayList<>();
                    try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(
                            "SELECT DISTINCT FLOOR(ts_ms / " + DAY_MILLIS + ") FROM telemetry_points")) {
                        while (row.next()) {
                            days.add(row.getLong(1));
                        }
                    }
                    telemetry.createPartitions(days);
                }
            }, line -> out.println("copied " + line));
            return report(copy.verify(before), images, sameFolder);
        }
    }

    private Database openSource() {
        try {
            // Through the server's own Database: an older fleet's file is migrated to the current schema first, so
            // that both sides have the same tables. Nothing else is written to it.
            return Database.open(ServerConfig.builder(from).build().effectiveDatabaseUrl());
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("from", "cannot open the H2 database in " + from.toAbsolutePath()
                    + " (is its server still running? stop it first): " + e.getMessage());
        }
    }

    private Database openTarget(String password) {
        try {
            return Database.open(to, toUser, password, 2);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("to", e.getMessage());
        }
    }

    private String password() {
        if (toPasswordFile == null) {
            return toPassword;
        }
        if (toPassword != null) {
            throw new InvalidConfigException("to-password-file", "and --to-password exclude each other");
        }
        try {
            return Files.readAllLines(toPasswordFile).stream().findFirst().orElse("");
        } catch (IOException e) {
            throw new InvalidConfigException("to-password-file", "cannot be read: " + toPasswordFile);
        }
    }

    /** The files the firmware images name (content-addressed: {@code <sha256>.bin}), each checked to exist. */
    private List<Path> firmwareFiles(Database source) {
        List<Path> files = new ArrayList<>();
        for (String sha256 : source.jdbc().query("SELECT DISTINCT sha256 FROM firmware_images ORDER BY sha256",
                row -> row.getString(1))) {
            Path file = from.resolve("firmware").resolve(sha256 + ".bin");
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("firmware image file " + file + " is missing from --from");
            }
            files.add(file);
        }
        return files;
    }

    /**
     * Every file of the source folder but H2's own, keeping their places: firmware images, the server's keys (RPK
     * and X.509 devices pin the server's key), the DTLS state, the demo fleet's secret. A file that exists in the
     * target with other content stops the migration: it is not ours to overwrite.
     */
    private void copyDataFolder(List<Path> images) {
        try {
            OwnerOnly.createDirectories(toDataDir);
            List<Path> sources;
            try (Stream<Path> walk = Files.walk(from)) {
                sources = walk.filter(Files::isRegularFile).filter(f -> !isH2File(from.relativize(f))).toList();
            }
            for (Path file : sources) {
                Path copy = toDataDir.resolve(from.relativize(file).toString());
                if (Files.exists(copy)) {
                    if (Files.mismatch(file, copy) != -1) {
                        throw new InvalidConfigException("to-data-dir", "already has " + copy
                                + " with other content; move it away or choose an empty folder");
                    }
                    continue;
                }
                OwnerOnly.createDirectories(copy.getParent());
                Files.copy(file, copy);
                OwnerOnly.restrict(copy);
            }
            for (Path image : images) {
                Path copy = toDataDir.resolve("firmware").resolve(image.getFileName().toString());
                String expected = image.getFileName().toString().replace(".bin", "");
                if (!expected.equals(sha256(copy))) {
                    throw new IllegalStateException("the copy of " + image + " does not hash to its name");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the data folder to " + toDataDir, e);
        }
    }

    /** fleet.mv.db, fleet.trace.db, fleet.lock.db and H2's temporary files: the database, copied as rows. */
    private static boolean isH2File(Path relative) {
        String name = relative.toString();
        return relative.getNameCount() == 1 && name.startsWith("fleet.") && (name.endsWith(".db")
                || name.endsWith(".tempFile"));
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private int report(List<DatabaseCopy.Count> counts, List<Path> images, boolean sameFolder) {
        int width = Math.max(5, counts.stream().mapToInt(c -> c.table().length()).max().orElse(0));
        boolean added = counts.stream().anyMatch(c -> c.targetBefore() > 0);
        out.printf("%-" + width + "s %12s %12s%n", "table", "source", added ? "target added" : "target");
        boolean allMatch = true;
        for (DatabaseCopy.Count count : counts) {
            out.printf("%-" + width + "s %12d %12d%s%n", count.table(), count.source(),
                    count.target() - count.targetBefore(),
                    count.matches() ? "" : "  MISMATCH");
            allMatch &= count.matches();
        }
        DatabaseCopy.NOT_COPIED.forEach((table, why) -> out.println("not copied: " + table + " (" + why + ")"));
        out.println("firmware image files: " + images.size() + (images.isEmpty() ? ""
                : sameFolder ? " (left in place: --to-data-dir is --from)" : " copied to " + toDataDir.resolve("firmware")
                        + ", each checked against its SHA-256"));
        if (!allMatch) {
            err.println("Row counts differ: see MISMATCH above.");
            return 1;
        }
        int parameters = to.indexOf('?');
        out.println("Done: start the server with --database-url " + (parameters < 0 ? to : to.substring(0, parameters))
                + (toDataDir != null ? " --data-dir " + toDataDir : " --data-dir " + from));
        return 0;
    }
}
