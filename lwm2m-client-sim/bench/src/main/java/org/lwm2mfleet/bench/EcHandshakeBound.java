package org.lwm2mfleet.bench;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.crypto.KeyAgreement;

/**
 * The EC work of one ECDHE-ECDSA handshake on this JVM, and so the machine's bound on RPK and X.509 handshakes per
 * second. Per handshake the server makes an ephemeral key pair, signs its key exchange (ECDSA P-256), computes the
 * ECDH secret, and verifies the client's CertificateVerify (ECDSA verify); X.509 adds verifying the client's
 * certificate (one more verify). The device does about as much. Both ECDHE curves are measured: secp256r1 (where the
 * JDK also validates the peer's key, a second scalar multiplication) and X25519, which our server picks whenever the
 * device offers it. The bound runs the work on every core at once, as a storm does (cores that share a physical core
 * are slower together than alone), and halves it, since server and devices share these cores.
 */
final class EcHandshakeBound implements Scenario.Body {

    /** The ECDHE curve of a handshake, with the JCA names of its key pairs and agreement. */
    private enum Curve {
        SECP256R1("P-256", "EC", "ECDH", new ECGenParameterSpec("secp256r1")),
        X25519("X25519", "XDH", "XDH", new java.security.spec.NamedParameterSpec("X25519"));

        final String label;
        final String keyAlgorithm;
        final String agreement;
        final java.security.spec.AlgorithmParameterSpec spec;

        Curve(String label, String keyAlgorithm, String agreement, java.security.spec.AlgorithmParameterSpec spec) {
            this.label = label;
            this.keyAlgorithm = keyAlgorithm;
            this.agreement = agreement;
            this.spec = spec;
        }
    }

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        int cores = Runtime.getRuntime().availableProcessors();
        result.parameter("java", System.getProperty("java.version") + " " + System.getProperty("java.vendor"));
        result.parameter("javaHome", System.getProperty("java.home"));
        int rounds = context.settings().requests(); // handshakes per measurement (--requests)
        result.parameter("cores", cores).parameter("handshakesPerMeasurement", rounds);
        double verify = verifyMillis(rounds / 4); // warm-up
        verify = verifyMillis(rounds);
        long rpkX25519 = 0;
        long x509X25519 = 0;
        for (Curve curve : Curve.values()) {
            handshakeMillis(curve, rounds / 4); // warm-up
            double rpk = handshakeMillis(curve, rounds);
            result.add(Figure.of("server EC work per RPK handshake, " + curve.label + " (one core alone)", rpk, "ms"));
            result.add(Figure.of("server EC work per X.509 handshake, " + curve.label + " (one core alone)",
                    rpk + verify, "ms"));
            // Every core at once: what a storm gets. Halved: the devices do as much work on the same cores.
            double perSecond = parallelHandshakesPerSecond(curve, cores, rounds);
            double x509PerSecond = 1 / (1 / perSecond + verify / rpk / perSecond);
            result.add(Figure.of("RPK handshakes/s bound, " + curve.label + " (server+devices on " + cores + " cores)",
                    perSecond / 2, "1/s"));
            result.add(Figure.of("X.509 handshakes/s bound, " + curve.label + " (server+devices on " + cores
                    + " cores)", x509PerSecond / 2, "1/s"));
            result.add(Figure.of("RPK handshakes/s bound, " + curve.label + " (server alone on " + cores + " cores)",
                    perSecond, "1/s"));
            if (curve == Curve.X25519) {
                rpkX25519 = Math.round(perSecond / 2);
                x509X25519 = Math.round(x509PerSecond / 2);
            }
        }
        result.note("devices that offer X25519 (Scandium's clients do) get it from our server: pass --ec-bound "
                + rpkX25519 + " to a register-storm with --security rpk on this JVM (x509: " + x509X25519 + ")");
        return result;
    }

    /** Milliseconds of server EC work per handshake on one thread: key pair + sign + ECDH + verify. */
    private static double handshakeMillis(Curve curve, int rounds) throws Exception {
        Work work = new Work(curve);
        long start = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            work.handshake();
        }
        return (System.nanoTime() - start) / 1e6 / rounds;
    }

    /** Handshakes per second with one thread per core, each doing {@code rounds}. */
    private static double parallelHandshakesPerSecond(Curve curve, int threads, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Work> works = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                works.add(new Work(curve));
            }
            long start = System.nanoTime();
            List<Future<?>> running = new ArrayList<>();
            for (Work work : works) {
                running.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        work.handshake();
                    }
                    return null;
                }));
            }
            for (Future<?> future : running) {
                future.get();
            }
            return threads * (double) rounds / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** One thread's handshake work: the server's long-term P-256 key, and a device's key and signature to check. */
    private static final class Work {
        private final Curve curve;
        private final KeyPairGenerator ephemeral;
        private final KeyPair server;
        private final KeyPair deviceSigning;
        private final java.security.PublicKey deviceEphemeral;
        private final byte[] message = new byte[200];
        private final byte[] deviceSignature;

        Work(Curve curve) throws Exception {
            this.curve = curve;
            KeyPairGenerator p256 = KeyPairGenerator.getInstance("EC");
            p256.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            server = p256.generateKeyPair();
            deviceSigning = p256.generateKeyPair();
            ephemeral = KeyPairGenerator.getInstance(curve.keyAlgorithm);
            ephemeral.initialize(curve.spec, new SecureRandom());
            deviceEphemeral = ephemeral.generateKeyPair().getPublic();
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(deviceSigning.getPrivate());
            signer.update(message);
            deviceSignature = signer.sign();
        }

        void handshake() throws Exception {
            KeyPair own = ephemeral.generateKeyPair();
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(server.getPrivate());
            signer.update(message);
            signer.sign();
            KeyAgreement agreement = KeyAgreement.getInstance(curve.agreement);
            agreement.init(own.getPrivate());
            agreement.doPhase(deviceEphemeral, true);
            agreement.generateSecret();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(deviceSigning.getPublic());
            verifier.update(message);
            if (!verifier.verify(deviceSignature)) {
                throw new IllegalStateException("verify failed");
            }
        }
    }

    private static double verifyMillis(int rounds) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = generator.generateKeyPair();
        byte[] message = new byte[300];
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(key.getPrivate());
        signer.update(message);
        byte[] signature = signer.sign();
        long start = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(key.getPublic());
            verifier.update(message);
            verifier.verify(signature);
        }
        return (System.nanoTime() - start) / 1e6 / rounds;
    }
}
