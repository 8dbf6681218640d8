package org.lwm2mfleet.bench;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.lwm2mfleet.sim.fleet.SecurityMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bench SCENARIO}: measures a server; prints a table and writes the result as JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = { "Measure an LwM2M Fleet server with simulated devices: print a table and write JSON.",
                "Scenarios: register-storm, reconnect-storm, steady-reporting, max-reporting, memory-per-device, "
                        + "firmware-campaign, api-under-load, ec-bound.",
                "By default the server runs from its jar (--server-jar) in a child JVM with a fresh data folder in a "
                        + "temporary directory and ephemeral ports; --server, --api and --token measure a running one." })
public final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SCENARIO", description = "The scenario to run.")
    String scenarioName;

    @Option(names = "--devices", paramLabel = "N",
            description = "Devices (default per scenario: 10,000; memory-per-device 100,000; firmware-campaign 1,000; api-under-load 1,000 reporting).")
    Integer devices;

    @Option(names = "--security", defaultValue = "psk", paramLabel = "MODE",
            description = "psk, rpk, x509 or none (default: ${DEFAULT-VALUE}).")
    String security;

    @Option(names = "--fleet-secret", defaultValue = "bench-fleet-secret", paramLabel = "SECRET",
            description = "Secret the device credentials derive from (default: ${DEFAULT-VALUE}).")
    String fleetSecret;

    @Option(names = "--duration", paramLabel = "DURATION",
            description = "How long reporting runs, ISO-8601 (default: PT10M for steady-reporting, PT1M for api-under-load).")
    Duration duration;

    @Option(names = "--rate", paramLabel = "PER_SECOND",
            description = "Notifications per second over the fleet (default: 10,000 for steady-reporting and the start of max-reporting, 1,000 for api-under-load).")
    Double rate;

    @Option(names = "--resources", defaultValue = "1", paramLabel = "N",
            description = "Resources observed on each device, 1 to 5 (default: ${DEFAULT-VALUE}).")
    int resources;

    @Option(names = "--step", defaultValue = "PT30S", paramLabel = "DURATION",
            description = "How long max-reporting holds each rate (default: ${DEFAULT-VALUE}).")
    Duration step;

    @Option(names = "--concurrency", defaultValue = "100", description = "Campaign concurrency (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--image-size", defaultValue = "262144", paramLabel = "BYTES",
            description = "Firmware image size (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--registry-devices", defaultValue = "100000", paramLabel = "N",
            description = "Devices in the registry for api-under-load (default: ${DEFAULT-VALUE}).")
    int registryDevices;

    @Option(names = "--requests", defaultValue = "2000", paramLabel = "N",
            description = "Requests per measured API call in api-under-load, handshakes per measurement in ec-bound (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--timeout", defaultValue = "PT5M", paramLabel = "DURATION",
            description = "How long to wait for registrations or a campaign (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--start-threads", defaultValue = "4", paramLabel = "N",
            description = "Threads starting devices in a storm (default: ${DEFAULT-VALUE}).")
    int startThreads;

    @Option(names = "--devices-per-address", defaultValue = "10000", paramLabel = "N",
            description = "Devices bound to each 127.0.x.y source address (default: ${DEFAULT-VALUE}).")
    int devicesPerAddress;

    @Option(names = "--cipher-suites", split = ",", paramLabel = "SUITE",
            description = "DTLS cipher suites the devices offer (default: the LwM2M mandatory one of the mode, TLS_PSK_WITH_AES_128_CCM_8 or TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, as constrained devices offer; 'default' for Leshan's client defaults, which add ECDHE-PSK).")
    List<String> cipherSuites;

    @Option(names = "--warmup", defaultValue = "2000", paramLabel = "N",
            description = "Devices that register and de-register before a storm is measured, so the server's JIT is warm; 0 for a cold server (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--settle", defaultValue = "PT250S", paramLabel = "DURATION",
            description = "How long memory-per-device waits after registering before it measures, so that CoAP's duplicate detection (EXCHANGE_LIFETIME, 247 s) has forgotten the registration messages (default: ${DEFAULT-VALUE}).")
    Duration settle;

    @Option(names = "--restart", defaultValue = "graceful", paramLabel = "graceful|kill",
            description = "How reconnect-storm restarts the server: graceful (SIGTERM: sessions saved, no handshake) or kill (SIGKILL: every device handshakes again) (default: ${DEFAULT-VALUE}).")
    String restart;

    @Option(names = "--ec-bound", paramLabel = "PER_SECOND",
            description = "EC handshakes per second this machine can do (from 'bench ec-bound'); RPK and X.509 storms are held to 80%% of it.")
    Double ecBound;

    @Option(names = "--baseline", paramLabel = "leshan",
            description = "Also run register-storm or memory-per-device against a bare Leshan server, and show the ratios.")
    String baseline;

    @Option(names = "--server-jar", paramLabel = "JAR",
            description = "LwM2M Fleet's shaded jar (default: lwm2m-server/target/lwm2m-server-0.1.0-SNAPSHOT-all.jar under the working directory or its parent).")
    Path serverJar;

    @Option(names = "--server-java", paramLabel = "JAVA_HOME",
            description = "JDK the child server runs on (default: the one running the bench).")
    Path serverJava;

    @Option(names = "--server-jvm-args", defaultValue = "-Xmx4g -XX:+UseG1GC", paramLabel = "ARGS",
            description = "Options of the child server's JVM, space-separated (default: ${DEFAULT-VALUE}).")
    String serverJvmArgs;

    @Option(names = "--admin-password", paramLabel = "PASSWORD",
            description = "Password of the child server's first admin (default: LWM2M_FLEET_ADMIN_PASSWORD, else a random one).")
    String adminPassword;

    @Option(names = "--server", paramLabel = "URI", description = "A running server's coaps:// (or coap://) URI.")
    URI server;

    @Option(names = "--api", paramLabel = "URL", description = "The running server's HTTP base, e.g. http://127.0.0.1:8080.")
    URI api;

    @Option(names = "--token", paramLabel = "TOKEN", description = "An API token of the running server (prefer LWM2M_FLEET_TOKEN).")
    String token;

    @Option(names = "--server-certificate", paramLabel = "PEM",
            description = "The running server's certificate, for --security rpk or x509 with --server.")
    Path serverCertificate;

    @Option(names = "--output", paramLabel = "FILE",
            description = "Where the JSON result goes (default: bench-results/SCENARIO-TIMESTAMP.json).")
    Path output;

    @Override
    public Integer call() throws Exception {
        Scenario scenario = Scenario.parse(scenarioName);
        BenchSettings settings = settings(scenario);
        if (ecBound != null) {
            Scenario.setEcBound(ecBound);
        }
        Scenario.Context context = new Scenario.Context(settings, launcher(), System.err);
        BenchResult result = scenario.run(context);
        if (baseline != null) {
            if (!baseline.equalsIgnoreCase("leshan")) {
                System.err.println("--baseline must be leshan");
                return 2;
            }
            if (!Baseline.supports(scenario)) {
                System.err.println("--baseline leshan applies to register-storm and memory-per-device");
                return 2;
            }
            Baseline.compare(scenario, context, result);
        }
        result.printTable(System.out);
        Path file = output != null ? output : Path.of("bench-results", scenario.cliName() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
        result.writeJson(file);
        System.out.println("result written to " + file);
        return 0;
    }

    BenchSettings settings(Scenario scenario) {
        BenchSettings defaults = Scenario.defaults(scenario);
        SecurityMode mode = SecurityMode.valueOf(security.strip().toUpperCase(Locale.ROOT));
        Duration defaultDuration = scenario == Scenario.API_UNDER_LOAD ? Duration.ofMinutes(1) : defaults.duration();
        double defaultRate = scenario == Scenario.API_UNDER_LOAD ? 1000 : defaults.rate();
        return new BenchSettings(devices != null ? devices : defaults.devices(), mode, fleetSecret, concurrency,
                duration != null ? duration : defaultDuration, rate != null ? rate : defaultRate,
                Math.max(1, Math.min(5, resources)), imageSize, timeout, step, registryDevices, requests,
                startThreads, devicesPerAddress, cipherSuites == null ? BenchSettings.mandatorySuites(mode)
                        : cipherSuites.equals(List.of("default")) ? List.of() : cipherSuites, warmup, settle,
                gracefulRestart());
    }

    private boolean gracefulRestart() {
        return switch (restart.strip().toLowerCase(Locale.ROOT)) {
        case "graceful" -> true;
        case "kill" -> false;
        default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "--restart: graceful or kill, not " + restart);
        };
    }

    private ServerLauncher launcher() throws Exception {
        if (server != null) {
            String bearer = token != null ? token : System.getenv("LWM2M_FLEET_TOKEN");
            X509Certificate certificate = null;
            if (serverCertificate != null) {
                try (InputStream in = new FileInputStream(serverCertificate.toFile())) {
                    certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                }
            }
            return new ExistingServerLauncher(server, api == null ? null : new FleetApi(api, bearer), certificate);
        }
        String password = adminPassword != null ? adminPassword : System.getenv("LWM2M_FLEET_ADMIN_PASSWORD");
        if (password == null) {
            byte[] random = new byte[12];
            new SecureRandom().nextBytes(random);
            password = "bench-" + HexFormat.of().formatHex(random);
        }
        return new ChildJvmLauncher(serverJava != null ? serverJava : Path.of(System.getProperty("java.home")),
                serverJar != null ? serverJar : defaultServerJar(),
                Arrays.stream(serverJvmArgs.trim().split("\\s+")).filter(a -> !a.isEmpty()).toList(), password,
                List.of());
    }

    private static Path defaultServerJar() throws IOException {
        Path relative = Path.of("lwm2m-server", "target", "lwm2m-server-0.1.0-SNAPSHOT-all.jar");
        for (Path base : List.of(Path.of(""), Path.of(".."), Path.of("..", ".."))) {
            Path jar = base.resolve(relative);
            if (Files.isRegularFile(jar)) {
                return jar;
            }
        }
        return relative;
    }
}
