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
 * </pre>
 */
public final class TelemetryIngestHarness {

    public static void main(String[] args) throws Exception {
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
                        new Jdbc(database.dataSource), clock);
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
