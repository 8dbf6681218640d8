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
 * H2 database, or the bare Leshan baseline ({@link LeshanBaselineServer#start}): what the bench's tests measure, so
 * they need no jar. CPU and heap are the whole test process's.
 */
final class InProcessLauncher implements ServerLauncher {

    static final String ADMIN_PASSWORD = "bench-smoke-password";
    private final Path root;

    InProcessLauncher(Path root) {
        this.root = root;
    }

    @Override
    public ServerHandle launch(Spec spec) throws Exception {
        if (spec.kind() == ServerKind.LESHAN) {
            return new LeshanHandle(LeshanBaselineServer.start(0, 0, spec.fleetSecret(),
                    spec.securityMode() == SecurityMode.X509));
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

    /** The baseline in this JVM: no REST API, no restart (the bench compares it on storms and memory only). */
    private static final class LeshanHandle implements ServerHandle {
        private final LeshanBaselineServer.Started started;

        LeshanHandle(LeshanBaselineServer.Started started) {
            this.started = started;
        }

        @Override
        public String description() {
            return "bare Leshan in the test JVM";
        }

        @Override
        public URI coapUri() {
            return URI.create("coap://127.0.0.1:"
                    + started.server().getEndpoint(org.eclipse.leshan.core.endpoint.Protocol.COAP).getURI().getPort());
        }

        @Override
        public URI coapsUri() {
            return URI.create("coaps://127.0.0.1:"
                    + started.server().getEndpoint(org.eclipse.leshan.core.endpoint.Protocol.COAPS).getURI().getPort());
        }

        @Override
        public FleetApi api() {
            return null;
        }

        @Override
        public X509Certificate certificate() {
            return started.certificate();
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
        public void restart() {
            throw new UnsupportedOperationException("the baseline is not restarted");
        }

        @Override
        public void close() {
            started.server().destroy();
        }
    }
}
