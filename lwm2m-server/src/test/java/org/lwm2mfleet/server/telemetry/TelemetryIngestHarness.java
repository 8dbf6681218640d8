package org.lwm2mfleet.server.telemetry;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.lwm2mfleet.server.store.Database;
import org.lwm2mfleet.server.store.Jdbc;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Not a test: the ingest rate of the telemetry stores, H2 (a file database as the server opens it, WRITE_DELAY=0)
 * and PostgreSQL (a fresh database on 127.0.0.1:5432), each through the server's {@link TelemetryWriter} (one
 * thread, batches of 500 as FleetServer sets it, or the size given). Points: 10,000 endpoints with three
 * paths each, times in the last hour, offered at once so that the writer is never idle: the figure is what
 * the store can take, not a device load. Prints points/s, this JVM's CPU per point and, for PostgreSQL, the CPU
 * of the {@code postgres} processes per point (from /proc). Run:
 *
 * <pre>
 * mvn -B -o -q test-compile -pl lwm2m-server -am
 * mvn -B -o -q dependency:build-classpath -pl lwm2m-server -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx2g -cp lwm2m-server/target/test-classes:lwm2m-server/target/classes:$(cat /tmp/cp.txt) \
 *     org.lwm2mfleet.server.telemetry.TelemetryIngestHarness [points] [batch sizes, e.g. 500,5000]
 * ... TelemetryIngestHarness months [days]
 * </pre>
 * {@code months} times the queries over a long series on PostgreSQL instead: one device reporting a value every
 * 10 s for {@code days} days (default 90) among 10 others reporting every minute, then the downsampled series over
 * the whole range and over one day, the raw points of an hour and the latest values, each the median of 20 calls.
 */
public final class TelemetryIngestHarness {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("months")) {
            months(args.length > 1 ? Integer.parseInt(args[1]) : 90);
            return;
        }
        int total = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
        List<Integer> batches = new ArrayList<>();
        for (String size : (args.length > 1 ? args[1] : "500").split(",")) {
            batches.add(Integer.parseInt(size.trim()));
        }
        Clock clock = Clock.systemUTC();
        List<TelemetryPoint> points = points(total, 10_000, clock.millis());
        System.out.printf("%,d points, %,d devices x 3 paths, JDK %s, %d cores%n", total, 10_000,
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

        for (int batch : batches) {
            Path dir = Files.createTempDirectory("telemetry-ingest-harness");
            String url = "jdbc:h2:file:" + dir.resolve("fleet").toAbsolutePath()
                    + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
            try (Database database = Database.open(url)) {
                TelemetryStore store = TelemetryStores.forDatabase(database, clock);
                run("H2 " + store.getClass().getSimpleName(), store, points, batch, false);
            }
            try (PostgresDatabases database = PostgresDatabases.create("ingest_harness")) {
                TelemetryStore store = TelemetryStores.forDataSource(database.dataSource,
                        Jdbc.over(database.dataSource), clock);
                run("PostgreSQL " + store.getClass().getSimpleName(), store, points, batch, true);
            }
        }
    }

    private static void run(String name, TelemetryStore store, List<TelemetryPoint> points, int batch,
            boolean postgres) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        var jvm = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = jvm.getProcessCpuTime();
        long db0 = postgres ? postgresCpuNanos() : 0;
        long t0 = System.nanoTime();
        try (TelemetryWriter writer = new TelemetryWriter(store, points.size(), batch, Duration.ofMillis(100),
                meters)) {
            writer.start();
            if (writer.offer(points) != 0) {
                throw new IllegalStateException("backlog too small");
            }
            while (meters.counter("telemetry.points.stored").count() < points.size()) {
                if (!writer.health().up()) {
                    throw new IllegalStateException(writer.health().detail());
                }
                Thread.sleep(10); // a measuring loop, not synchronisation: the counter is the end condition
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double jvmMicros = (jvm.getProcessCpuTime() - cpu0) / 1e3 / points.size();
        String db = postgres ? String.format(", postgres processes %.1f µs CPU/point",
                (postgresCpuNanos() - db0) / 1e3 / points.size()) : "";
        System.out.printf("%-40s batch %5d: %,9d points in %6.1f s = %,7.0f points/s; JVM %.1f µs CPU/point%s%n",
                name, batch, points.size(), seconds, points.size() / seconds, jvmMicros, db);
    }

    private static void months(int days) throws Exception {
        Clock clock = Clock.systemUTC();
        long now = clock.millis();
        long first = now - days * 86_400_000L;
        try (PostgresDatabases database = PostgresDatabases.create("months_harness")) {
            TelemetryStore store = TelemetryStores.forDataSource(database.dataSource, Jdbc.over(database.dataSource),
                    clock);
            long t0 = System.nanoTime();
            long written = 0;
            List<TelemetryPoint> batch = new ArrayList<>(10_000);
            for (long t = first; t < now; t += 10_000) {
                batch.add(new TelemetryPoint("long-1", "/3303/0/5700", t, (double) (t / 1000 % 86_400), null, "FLOAT",
                        "observe"));
                if (t % 60_000 < 10_000) {
                    for (int d = 0; d < 10; d++) {
                        batch.add(new TelemetryPoint(String.format("other-%03d", d), "/3303/0/5700", t, 1.0, null,
                                "FLOAT", "observe"));
                    }
                }
                if (batch.size() >= 10_000) {
                    store.write(batch);
                    written += batch.size();
                    batch.clear();
                }
            }
            store.write(batch);
            written += batch.size();
            Jdbc.over(database.dataSource).update("VACUUM ANALYZE telemetry_points");
            System.out.printf("%,d points over %d days (%d partitions) written in %.1f s%n", written, days,
                    ((PostgresTelemetryStore) store).partitionNames().size(), (System.nanoTime() - t0) / 1e9);
            TelemetryService telemetry = new TelemetryService(store, clock, Duration.ofDays(days + 1),
                    Duration.ofDays(1), new org.lwm2mfleet.server.runtime.Scheduler(1));
            java.time.Instant from = java.time.Instant.ofEpochMilli(first);
            java.time.Instant to = java.time.Instant.ofEpochMilli(now);
            java.time.Instant dayAgo = to.minus(Duration.ofDays(1));
            time("downsampled, " + days + " days, step P1D", () -> telemetry.downsampled("long-1", "/3303/0/5700",
                    from, to, Duration.ofDays(1)).size());
            time("downsampled, " + days + " days, step PT6H", () -> telemetry.downsampled("long-1", "/3303/0/5700",
                    from, to, Duration.ofHours(6)).size());
            time("downsampled, last day, step PT5M", () -> telemetry.downsampled("long-1", "/3303/0/5700", dayAgo,
                    to, Duration.ofMinutes(5)).size());
            time("raw points, last hour", () -> telemetry.points("long-1", "/3303/0/5700",
                    to.minus(Duration.ofHours(1)), to, 1000).size());
            time("latest", () -> telemetry.latest("long-1").size());
            telemetry.close();
        }
    }

    private static void time(String name, java.util.function.IntSupplier query) {
        long[] nanos = new long[20];
        int rows = 0;
        for (int i = 0; i < nanos.length; i++) {
            long t0 = System.nanoTime();
            rows = query.getAsInt();
            nanos[i] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(nanos);
        System.out.printf("%-40s %6d rows, median %8.1f ms, max %8.1f ms%n", name, rows, nanos[10] / 1e6,
                nanos[19] / 1e6);
    }

    private static List<TelemetryPoint> points(int total, int devices, long now) {
        Random random = new Random(17);
        List<TelemetryPoint> points = new ArrayList<>(total);
        long first = now - 3_600_000L;
        for (int i = 0; i < total; i++) {
            long t = first + (long) i * 3_600_000L / total;
            points.add(new TelemetryPoint(String.format("bench-%06d", i % devices), "/3303/" + (i / devices % 3)
                    + "/5700", t, 20 + random.nextGaussian(), null, "FLOAT", "observe"));
        }
        return points;
    }

    /** utime + stime of every process named postgres (server and backends), in nanoseconds. */
    private static long postgresCpuNanos() throws IOException {
        long ticks = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                if (!proc.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(proc.resolve("stat"));
                    int close = stat.lastIndexOf(')');
                    if (!stat.substring(stat.indexOf('(') + 1, close).equals("postgres")) {
                        continue;
                    }
                    String[] fields = stat.substring(close + 2).split(" ");
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                } catch (IOException | RuntimeException gone) {
                    // the process ended between the listing and the read
                }
            }
        }
        return ticks * 10_000_000L; // USER_HZ = 100
    }
}
