package org.lwm2mfleet.sim.bench;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;

import javax.crypto.KeyAgreement;

/**
 * The EC work of one ECDHE-ECDSA handshake on this JVM, and so the machine's bound on RPK and X.509 handshakes per
 * second. Per handshake the server makes an ephemeral P-256 key pair, signs its key exchange (ECDSA), computes the
 * ECDH secret, and verifies the client's CertificateVerify (ECDSA verify); X.509 adds verifying the client's
 * certificate chain (one more verify). The device does about as much. Measured single-threaded after warm-up; the
 * bound is cores / (server + client work per handshake), since on the bench machine both run on the same cores.
 */
final class EcHandshakeBound implements Scenario.Body {

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        int cores = Runtime.getRuntime().availableProcessors();
        result.parameter("java", System.getProperty("java.version") + " " + System.getProperty("java.vendor"));
        result.parameter("javaHome", System.getProperty("java.home"));
        measure(200); // warm-up
        double rpk = measure(2000);
        double x509 = rpk; // plus one verify
        double verify = verifyMillis(2000);
        x509 = rpk + verify;
        result.add(Figure.of("server EC work per RPK handshake", rpk, "ms"));
        result.add(Figure.of("server EC work per X.509 handshake", x509, "ms"));
        // The client does the same work (key pair, ECDH, sign, verify the server's signature).
        double rpkBound = cores * 1000 / (2 * rpk);
        double x509Bound = cores * 1000 / (2 * x509);
        result.add(Figure.of("RPK handshakes/s bound (server+device on " + cores + " cores)", rpkBound, "1/s"));
        result.add(Figure.of("X.509 handshakes/s bound (server+device on " + cores + " cores)", x509Bound, "1/s"));
        result.add(Figure.of("RPK handshakes/s bound (server alone)", cores * 1000 / rpk, "1/s"));
        result.note("pass --ec-bound " + Math.round(rpkBound) + " to a register-storm with --security rpk on this "
                + "JVM (x509: " + Math.round(x509Bound) + ")");
        return result;
    }

    /** Milliseconds of server EC work per ECDHE-ECDSA handshake: key pair + sign + ECDH + verify. */
    private static double measure(int rounds) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        KeyPair server = generator.generateKeyPair();
        KeyPair client = generator.generateKeyPair();
        byte[] message = new byte[200];
        Signature clientSigner = Signature.getInstance("SHA256withECDSA");
        clientSigner.initSign(client.getPrivate());
        clientSigner.update(message);
        byte[] clientSignature = clientSigner.sign();
        long start = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            KeyPair ephemeral = generator.generateKeyPair();
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(server.getPrivate());
            signer.update(message);
            signer.sign();
            KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
            agreement.init(ephemeral.getPrivate());
            agreement.doPhase(client.getPublic(), true);
            agreement.generateSecret();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(client.getPublic());
            verifier.update(message);
            if (!verifier.verify(clientSignature)) {
                throw new IllegalStateException("verify failed");
            }
        }
        return (System.nanoTime() - start) / 1e6 / rounds;
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
