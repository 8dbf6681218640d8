package org.lwm2mfleet.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

import org.lwm2mfleet.server.FleetServer;
import org.lwm2mfleet.server.config.AccessConfig;
import org.lwm2mfleet.server.config.ServerConfig;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * Starts LwM2M Fleet in the test's own JVM ({@link FleetServer#start}), on loopback with ephemeral ports and a fresh
 * H2 database: what the bench smoke test measures, since the shaded jar is built after the tests. CPU and heap are
 * the whole test process's.
 */
final class InProcessLauncher implements ServerLauncher {

    static final String ADMIN_PASSWORD = "bench-smoke-password";
    private final Path root;

    InProcessLauncher(Path root) {
        this.root = root;
    }

    @Override
    public ServerHandle launch(Spec spec) throws Exception {
        if (spec.kind() != ServerKind.FLEET) {
            throw new IllegalArgumentException("in-process runs LwM2M Fleet only");
        }
        Path dir = Files.createTempDirectory(root, "server-");
        ServerConfig.Builder builder = ServerConfig.builder(dir).loopbackEphemeralPorts()
                .access(AccessConfig.defaults().withAdminPassword(ADMIN_PASSWORD).withPasswordIterations(1000));
        if (spec.securityMode() == SecurityMode.X509) {
            Path ca = dir.resolve("fleet-ca.pem");
            Files.writeString(ca, FleetCredentials.toPem(FleetCredentials.caCertificate(spec.fleetSecret())));
            builder.trustedCertificates(ca);
        }
        return new Handle(builder.build());
    }

    private static final class Handle implements ServerHandle {
        private ServerConfig config;
        private FleetServer server;
        private final FleetApi api;

        Handle(ServerConfig config) throws Exception {
            this.config = config;
            this.server = FleetServer.start(config);
            this.api = FleetApi.signIn(server.httpUri(), "admin", ADMIN_PASSWORD);
        }

        @Override
        public String description() {
            return "lwm2m-fleet in the test JVM";
        }

        @Override
        public URI coapUri() {
            return server.coapUri();
        }

        @Override
        public URI coapsUri() {
            return server.coapsUri();
        }

        @Override
        public FleetApi api() {
            return api;
        }

        @Override
        public X509Certificate certificate() {
            return server.identity().certificate();
        }

        @Override
        public double cpuSeconds() {
            return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9)
                    .orElse(Double.NaN);
        }

        @Override
        public long heapAfterGc() {
            return JvmTools.ownHeapAfterGc();
        }

        @Override
        public boolean measuredAlone() {
            return false;
        }

        @Override
        public void restart() throws Exception {
            config = config.toBuilder().httpPort(server.httpPort()).coapPort(server.coapPort())
                    .coapsPort(server.coapsPort()).build();
            server.close();
            server = FleetServer.start(config);
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
