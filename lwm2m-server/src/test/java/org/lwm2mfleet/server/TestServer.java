package org.lwm2mfleet.server;

import java.nio.file.Path;
import java.util.function.Consumer;

import org.lwm2mfleet.server.config.ServerConfig;

/** The real server on 127.0.0.1 with ephemeral ports and a fresh H2 database in a temporary folder. */
public final class TestServer implements AutoCloseable {

    private ServerConfig config;
    private FleetServer server;
    private Api api;

    private TestServer(ServerConfig config) throws Exception {
        this.config = config;
        boot();
    }

    public static TestServer start(Path dataDir) throws Exception {
        return start(dataDir, c -> {
        });
    }

    /** @param customize changes to the defaults (loopback, ephemeral ports, fresh H2 in {@code dataDir}) */
    public static TestServer start(Path dataDir, Consumer<ServerConfig.Builder> customize) throws Exception {
        ServerConfig.Builder builder = ServerConfig.builder(dataDir).loopbackEphemeralPorts();
        customize.accept(builder);
        return new TestServer(builder.build());
    }

    private void boot() throws Exception {
        server = FleetServer.start(config);
        api = new Api(server.httpUri());
    }

    /** Stops the server and starts a new one on the same data folder and the same ports, as devices expect. */
    public void restart() throws Exception {
        config = config.toBuilder().httpPort(server.httpPort()).coapPort(server.coapPort())
                .coapsPort(server.coapsPort()).build();
        server.close();
        boot();
    }

    public FleetServer server() {
        return server;
    }

    public Path dataDir() {
        return config.dataDir();
    }

    public Api api() {
        return api;
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
