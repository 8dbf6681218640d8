package org.lwm2mfleet.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real server ({@link Main}) in a child JVM on the test's class path, with loopback ephemeral ports and a data
 * folder the test chooses: a test can kill it as the kernel would ({@link #kill}, SIGKILL) and start another on the
 * same folder. Its output goes to {@code server.log} beside the data folder.
 */
final class ChildServer implements AutoCloseable {

    private static final Pattern STARTED = Pattern.compile("started: https?://[^:/]+:(\\d+)/");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Process process;
    private final URI http;

    private ChildServer(Process process, URI http) {
        this.process = process;
        this.http = http;
    }

    static ChildServer start(Path dataDir) throws Exception {
        return start(dataDir, 0, 0);
    }

    /** With fixed CoAP and CoAPS ports (0: ephemeral), for devices that must find the next server where they left. */
    static ChildServer start(Path dataDir, int coapPort, int coapsPort) throws Exception {
        Path log = dataDir.resolveSibling(dataDir.getFileName() + "-server.log");
        long from = Files.exists(log) ? Files.size(log) : 0;
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "--data-dir", dataDir.toString(),
                "--bind-address", "127.0.0.1", "--http-port", "0", "--coap-port", Integer.toString(coapPort),
                "--coaps-port", Integer.toString(coapsPort),
                "--password-iterations", Integer.toString(TestServer.PASSWORD_ITERATIONS)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("LWM2M_FLEET_ADMIN_PASSWORD", TestServer.ADMIN_PASSWORD);
        Process process = builder.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher started = STARTED.matcher(read(log, from));
            if (started.find()) {
                return new ChildServer(process, URI.create("http://127.0.0.1:" + started.group(1)));
            }
            if (process.waitFor(100, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the server stopped with " + process.exitValue() + ":\n"
                        + read(log, from));
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("the server did not start within " + START_TIMEOUT + ":\n" + read(log, from));
    }

    private static String read(Path log, long from) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        try (var in = Files.newInputStream(log)) {
            in.skipNBytes(from);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The REST API as the first admin, with a new admin token. */
    Api admin() {
        return Api.admin(http, client(), "admin", TestServer.ADMIN_PASSWORD);
    }

    Api anonymous() {
        return new Api(http, client(), null, null, null);
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** SIGKILL, as {@code kill -9} or the OOM killer: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the server survived SIGKILL");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
