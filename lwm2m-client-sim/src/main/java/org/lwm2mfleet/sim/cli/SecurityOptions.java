package org.lwm2mfleet.sim.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Locale;

import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SecurityMode;

import picocli.CommandLine.Option;

/** Options shared by {@code run} and {@code fleet}: security mode and how the device recognises the server. */
final class SecurityOptions {

    @Option(names = "--security", defaultValue = "none", paramLabel = "MODE",
            description = "none, psk, rpk or x509 (default: ${DEFAULT-VALUE}).")
    String security;

    @Option(names = "--fleet-secret", paramLabel = "SECRET",
            description = "Secret the device credentials derive from (PSK, RPK, X.509); the server is provisioned from the same secret (see 'credentials').")
    String fleetSecret;

    @Option(names = "--server-public-key", paramLabel = "FILE",
            description = "The server's EC public key (PEM or DER), for --security rpk (default: the key of --server-certificate).")
    Path serverPublicKey;

    @Option(names = "--server-certificate", paramLabel = "FILE",
            description = "The server's certificate (PEM or DER), pinned by the device for --security x509.")
    Path serverCertificate;

    SecurityMode mode() {
        try {
            return SecurityMode.valueOf(security.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--security must be none, psk, rpk or x509, not '" + security + "'");
        }
    }

    /** The device's credentials derived from --fleet-secret, with the server's key or certificate to pin. */
    DeviceSecurity forFleet(String endpoint) {
        SecurityMode mode = mode();
        if (mode == SecurityMode.RPK && serverPublicKey() == null) {
            throw new IllegalArgumentException("--security rpk needs --server-public-key or --server-certificate");
        }
        if (mode == SecurityMode.X509 && serverCertificate() == null) {
            throw new IllegalArgumentException("--security x509 needs --server-certificate");
        }
        return DeviceSecurity.forFleet(mode, fleetSecret, endpoint, serverPublicKey(), serverCertificate());
    }

    PublicKey serverPublicKey() {
        if (serverPublicKey == null) {
            return serverCertificate == null ? null : serverCertificate().getPublicKey();
        }
        try {
            String text = Files.readString(serverPublicKey, StandardCharsets.ISO_8859_1);
            byte[] der = text.contains("-----BEGIN") ? Base64.getMimeDecoder().decode(
                    text.replaceAll("-----[A-Z ]+-----", "")) : Files.readAllBytes(serverPublicKey);
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--server-public-key is not an EC public key", e);
        }
    }

    X509Certificate serverCertificate() {
        if (serverCertificate == null) {
            return null;
        }
        try (var in = Files.newInputStream(serverCertificate)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException("--server-certificate is not a certificate", e);
        }
    }
}
