package org.lwm2mfleet.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * Runs the server in a child JVM, so that its CPU time and heap are its own: LwM2M Fleet from its shaded jar with a
 * fresh data folder in a temporary directory, or the bare Leshan baseline ({@link LeshanBaselineServer}) from this
 * process's class path. Ports are ephemeral (read back from the server's start line) unless given; a restart reuses
 * them. The child's output goes to {@code server.log} in its folder.
 */
public final class ChildJvmLauncher implements ServerLauncher {

    private static final Pattern PORTS = Pattern.compile("coap port (\\d+) coaps port (\\d+)");
    private static final Pattern HTTP = Pattern.compile("started: https?://[^:/]+:(\\d+)/");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** Child servers still running: stopped when the bench exits, even on Ctrl-C. */
    private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroy), "bench-children"));
    }

    private final Path javaHome;
    private final Path serverJar;
    private final List<String> jvmArgs;
    private final String adminPassword;
    private final List<String> serverArgs;

    /**
     * @param javaHome the JDK the server runs on
     * @param serverJar LwM2M Fleet's shaded jar
     * @param jvmArgs options of the child JVM, e.g. -Xmx4g
     * @param adminPassword the first admin's password: the bench signs in with it to create its token
     * @param serverArgs more server options
     */
    public ChildJvmLauncher(Path javaHome, Path serverJar, List<String> jvmArgs, String adminPassword,
            List<String> serverArgs) {
        this.javaHome = javaHome;
        this.serverJar = serverJar;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.adminPassword = adminPassword;
        this.serverArgs = List.copyOf(serverArgs);
    }

    @Override
    public ServerHandle launch(Spec spec) throws Exception {
        Path dir = Files.createTempDirectory("lwm2m-bench-");
        ChildServer server = new ChildServer(spec, dir);
        server.start(0, 0, 0);
        return server;
    }

    private final class ChildServer implements ServerHandle {
        private final Spec spec;
        private final Path dir;
        private Process process;
        private int httpPort;
        private int coapPort;
        private int coapsPort;
        private FleetApi api;
        private X509Certificate certificate;
        private double cpuBeforeRestarts;

        ChildServer(Spec spec, Path dir) {
            this.spec = spec;
            this.dir = dir;
        }

        void start(int http, int coap, int coaps) throws Exception {
            List<String> command = new ArrayList<>();
            command.add(javaHome.resolve("bin").resolve("java").toString());
            command.addAll(jvmArgs);
            if (spec.kind() == ServerKind.FLEET) {
                if (!Files.isRegularFile(serverJar)) {
                    throw new IllegalArgumentException("no server jar at " + serverJar.toAbsolutePath()
                            + ": build it (mvn -B -q -o package -DskipTests) or give --server-jar");
                }
                command.addAll(List.of("-jar", serverJar.toString(), "--data-dir", dir.resolve("data").toString(),
                        "--bind-address", "127.0.0.1", "--http-port", Integer.toString(http), "--coap-port",
                        Integer.toString(coap), "--coaps-port", Integer.toString(coaps), "--password-iterations",
                        "1000"));
                if (spec.securityMode() == SecurityMode.X509) {
                    Path ca = dir.resolve("fleet-ca.pem");
                    Files.writeString(ca, FleetCredentials.toPem(FleetCredentials.caCertificate(spec.fleetSecret())));
                    command.addAll(List.of("--trusted-certificates", ca.toString()));
                }
                command.addAll(serverArgs);
            } else {
                command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                        LeshanBaselineServer.class.getName(), "--coap-port", Integer.toString(coap), "--coaps-port",
                        Integer.toString(coaps), "--fleet-secret", spec.fleetSecret(), "--certificate-file",
                        dir.resolve("server-cert.pem").toString(), "--security",
                        spec.securityMode().name().toLowerCase()));
            }
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()));
            Map<String, String> env = builder.environment();
            if (adminPassword != null) {
                env.put("LWM2M_FLEET_ADMIN_PASSWORD", adminPassword);
            }
            long logStart = Files.exists(dir.resolve("server.log")) ? Files.size(dir.resolve("server.log")) : 0;
            process = builder.start();
            RUNNING.add(process);
            String line = awaitStartLine(logStart);
            Matcher ports = PORTS.matcher(line);
            if (!ports.find()) {
                throw new IllegalStateException("no ports in the start line: " + line);
            }
            coapPort = Integer.parseInt(ports.group(1));
            coapsPort = Integer.parseInt(ports.group(2));
            if (spec.kind() == ServerKind.FLEET) {
                Matcher httpMatch = HTTP.matcher(line);
                if (!httpMatch.find()) {
                    throw new IllegalStateException("no HTTP port in the start line: " + line);
                }
                httpPort = Integer.parseInt(httpMatch.group(1));
                if (api == null) {
                    api = FleetApi.signIn(URI.create("http://127.0.0.1:" + httpPort), "admin", adminPassword);
                }
                certificate = readCertificate(dir.resolve("data").resolve("keys").resolve("server-cert.pem"));
            } else {
                certificate = readCertificate(dir.resolve("server-cert.pem"));
            }
        }

        private String awaitStartLine(long from) throws IOException, InterruptedException {
            Path log = dir.resolve("server.log");
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (Files.exists(log)) {
                    String text;
                    try (InputStream in = Files.newInputStream(log)) {
                        in.skipNBytes(from);
                        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                    for (String line : text.split("\n")) {
                        if (PORTS.matcher(line).find()) {
                            return line;
                        }
                    }
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("the server stopped with " + process.exitValue() + "; see " + log
                            + ":\n" + tail(log));
                }
                process.waitFor(100, TimeUnit.MILLISECONDS);
            }
            throw new IllegalStateException("the server did not start within " + START_TIMEOUT + "; see " + log);
        }

        @Override
        public String description() {
            return (spec.kind() == ServerKind.FLEET ? "lwm2m-fleet " + serverJar.getFileName() : "bare Leshan")
                    + " in a child JVM (" + javaHome + " " + String.join(" ", jvmArgs) + "), pid " + process.pid()
                    + ", folder " + dir;
        }

        @Override
        public URI coapUri() {
            return URI.create("coap://127.0.0.1:" + coapPort);
        }

        @Override
        public URI coapsUri() {
            return URI.create("coaps://127.0.0.1:" + coapsPort);
        }

        @Override
        public FleetApi api() {
            return api;
        }

        @Override
        public X509Certificate certificate() {
            return certificate;
        }

        @Override
        public double cpuSeconds() {
            return cpuBeforeRestarts + process.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
        }

        @Override
        public long heapAfterGc() {
            return JvmTools.heapAfterGc(javaHome, process.pid());
        }

        @Override
        public void restart() throws Exception {
            cpuBeforeRestarts = cpuSeconds();
            stopProcess();
            start(httpPort, coapPort, coapsPort);
        }

        @Override
        public void killAndRestart() throws Exception {
            cpuBeforeRestarts = cpuSeconds();
            RUNNING.remove(process);
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            start(httpPort, coapPort, coapsPort);
        }

        @Override
        public void close() {
            stopProcess();
        }

        /** SIGTERM, and the time the server's shutdown hook needs to stop and save. */
        private void stopProcess() {
            RUNNING.remove(process);
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static X509Certificate readCertificate(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (CertificateException e) {
            throw new IllegalStateException("unreadable certificate " + file, e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
