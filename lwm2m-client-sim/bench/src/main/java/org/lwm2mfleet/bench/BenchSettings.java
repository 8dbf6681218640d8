package org.lwm2mfleet.bench;

import java.time.Duration;

import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * The knobs of a scenario; each scenario reads the ones it needs (see {@code bench --help}).
 *
 * @param devices devices in the scenario (registering, reporting, updating)
 * @param security how the devices authenticate
 * @param fleetSecret the secret their credentials derive from
 * @param concurrency campaign concurrency (firmware-campaign)
 * @param duration how long reporting runs (steady-reporting, api-under-load)
 * @param rate notifications per second over the whole fleet (steady-reporting; start rate of max-reporting)
 * @param resourcesPerDevice resources observed on each device
 * @param imageBytes firmware image size (firmware-campaign)
 * @param timeout how long to wait for registrations or a campaign before counting the rest as failures
 * @param step how long each rate of max-reporting runs
 * @param registryDevices devices provisioned in the registry (api-under-load)
 * @param requests requests per measured API call (api-under-load)
 * @param startThreads threads starting devices (register-storm)
 * @param devicesPerAddress devices bound to one 127.0.0.x source address
 * @param cipherSuites DTLS cipher suites the devices offer; empty for Leshan's defaults
 * @param warmup devices that register and de-register before a storm is measured, so that the server's JIT has
 *        compiled the registration path (0: a cold server)
 * @param settle how long memory-per-device waits after the registrations before it measures the heap
 * @param gracefulRestart how reconnect-storm restarts the server: a graceful stop (SIGTERM: registrations and DTLS
 *        sessions saved, devices go on with no handshake) or a kill (SIGKILL: registrations kept, sessions lost,
 *        every device handshakes again)
 */
public record BenchSettings(int devices, SecurityMode security, String fleetSecret, int concurrency,
        Duration duration, double rate, int resourcesPerDevice, int imageBytes, Duration timeout, Duration step,
        int registryDevices, int requests, int startThreads, int devicesPerAddress, java.util.List<String> cipherSuites, int warmup, Duration settle,
        boolean gracefulRestart) {

    /** With a graceful restart. */
    public BenchSettings(int devices, SecurityMode security, String fleetSecret, int concurrency, Duration duration,
            double rate, int resourcesPerDevice, int imageBytes, Duration timeout, Duration step, int registryDevices,
            int requests, int startThreads, int devicesPerAddress, java.util.List<String> cipherSuites, int warmup,
            Duration settle) {
        this(devices, security, fleetSecret, concurrency, duration, rate, resourcesPerDevice, imageBytes, timeout,
                step, registryDevices, requests, startThreads, devicesPerAddress, cipherSuites, warmup, settle, true);
    }

    public BenchSettings withGracefulRestart(boolean graceful) {
        return new BenchSettings(devices, security, fleetSecret, concurrency, duration, rate, resourcesPerDevice,
                imageBytes, timeout, step, registryDevices, requests, startThreads, devicesPerAddress, cipherSuites,
                warmup, settle, graceful);
    }

    public BenchSettings withDevices(int count) {
        return new BenchSettings(count, security, fleetSecret, concurrency, duration, rate, resourcesPerDevice,
                imageBytes, timeout, step, registryDevices, requests, startThreads, devicesPerAddress, cipherSuites, warmup, settle, gracefulRestart);
    }

    /** With the LwM2M mandatory suite of the mode when {@code cipherSuites} was that of the previous mode. */
    public BenchSettings withSecurity(SecurityMode mode) {
        java.util.List<String> suites = cipherSuites.equals(mandatorySuites(security)) ? mandatorySuites(mode)
                : cipherSuites;
        return new BenchSettings(devices, mode, fleetSecret, concurrency, duration, rate, resourcesPerDevice,
                imageBytes, timeout, step, registryDevices, requests, startThreads, devicesPerAddress, suites, warmup, settle, gracefulRestart);
    }

    /**
     * The LwM2M 1.1 mandatory suite of a mode, which many constrained devices offer alone: TLS_PSK_WITH_AES_128_CCM_8
     * (no EC work) for PSK, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 for RPK and X.509.
     */
    public static java.util.List<String> mandatorySuites(SecurityMode mode) {
        return switch (mode) {
        case PSK -> java.util.List.of("TLS_PSK_WITH_AES_128_CCM_8");
        case RPK, X509 -> java.util.List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8");
        case NONE -> java.util.List.of();
        };
    }
}
