package org.lwm2mfleet.bench;

import java.net.URI;
import java.security.cert.X509Certificate;

/**
 * A server that is already running ({@code --server coaps://... --api http://... --token ...}): nothing is started
 * or stopped, CPU and heap are not measured (NaN, -1), and it cannot be restarted.
 */
public final class ExistingServerLauncher implements ServerLauncher {

    private final URI server;
    private final FleetApi api;
    private final X509Certificate certificate;

    public ExistingServerLauncher(URI server, FleetApi api, X509Certificate certificate) {
        this.server = server;
        this.api = api;
        this.certificate = certificate;
    }

    @Override
    public ServerHandle launch(Spec spec) {
        if (spec.kind() != ServerKind.FLEET) {
            throw new IllegalArgumentException("--baseline needs a server started by the bench, not --server");
        }
        return new ServerHandle() {
            @Override
            public String description() {
                return "running server at " + server + (api == null ? "" : " and " + api.base());
            }

            @Override
            public URI coapUri() {
                return server.getScheme().equals("coap") ? server
                        : URI.create("coap://" + server.getHost() + ":" + (server.getPort() - 1));
            }

            @Override
            public URI coapsUri() {
                return server;
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
                return Double.NaN;
            }

            @Override
            public long heapAfterGc() {
                return -1;
            }

            @Override
            public void restart() {
                throw new UnsupportedOperationException("a running server given with --server is not restarted");
            }

            @Override
            public void close() {
                // not ours to stop
            }
        };
    }
}
