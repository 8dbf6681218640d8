package org.lwm2mfleet.server.lwm2m;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.lwm2mfleet.server.config.InvalidConfigException;
import org.lwm2mfleet.server.config.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own DTLS identity (one EC key, offered as RPK and as X.509) and the CAs it trusts for device
 * certificates. From configured PEM files, or generated once into {@code <data-dir>/keys} and reused on every start.
 */
public record ServerIdentity(PrivateKey privateKey, X509Certificate[] certificateChain,
        List<X509Certificate> trustedCertificates) {

    private static final Logger LOG = LoggerFactory.getLogger(ServerIdentity.class);

    public PublicKey publicKey() {
        return certificateChain[0].getPublicKey();
    }

    public X509Certificate certificate() {
        return certificateChain[0];
    }

    public static ServerIdentity load(ServerConfig config) {
        Path key = config.serverKey();
        Path certificate = config.serverCertificate();
        if (key == null) {
            Path keys = config.dataDir().resolve("keys");
            key = keys.resolve("server-key.pem");
            certificate = keys.resolve("server-cert.pem");
            if (!Files.exists(key) || !Files.exists(certificate)) {
                generate(key, certificate);
            }
        }
        PrivateKey privateKey = readPrivateKey(key, "server-key");
        List<X509Certificate> chain = readCertificates(certificate, "server-certificate");
        if (chain.isEmpty()) {
            throw new InvalidConfigException("server-certificate", "holds no certificate: " + certificate);
        }
        List<X509Certificate> trusted = config.trustedCertificates() == null ? List.of()
                : readTrustedCertificates(config.trustedCertificates());
        return new ServerIdentity(privateKey, chain.toArray(X509Certificate[]::new), trusted);
    }

    /** A P-256 key and a self-signed certificate valid for ten years, written with the key readable by us only. */
    static void generate(Path keyFile, Path certificateFile) {
        generate(keyFile, certificateFile, "lwm2m-fleet-server");
    }

    /**
     * Same, with a subject alternative name for each of {@code names} (an IP address or a DNS name), as browsers
     * require of an HTTPS certificate.
     */
    public static void generate(Path keyFile, Path certificateFile, String commonName, String... names) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            X500Name subject = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(64, new SecureRandom()), Date.from(now.minus(1, ChronoUnit.DAYS)),
                    Date.from(now.plus(3650, ChronoUnit.DAYS)), subject, pair.getPublic());
            if (names.length > 0) {
                org.bouncycastle.asn1.x509.GeneralName[] alternatives = new org.bouncycastle.asn1.x509.GeneralName[names.length];
                for (int i = 0; i < names.length; i++) {
                    boolean ip = names[i].matches("[0-9.]+|.*:.*");
                    alternatives[i] = new org.bouncycastle.asn1.x509.GeneralName(
                            ip ? org.bouncycastle.asn1.x509.GeneralName.iPAddress
                                    : org.bouncycastle.asn1.x509.GeneralName.dNSName, names[i]);
                }
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new org.bouncycastle.asn1.x509.GeneralNames(alternatives));
            }
            X509CertificateHolder holder = builder
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] { KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth }))
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(holder);

            org.lwm2mfleet.server.store.OwnerOnly.createDirectories(keyFile.getParent());
            writePrivate(keyFile, pem(new PemObject("PRIVATE KEY", pair.getPrivate().getEncoded())));
            Files.writeString(certificateFile, pem(certificate));
            LOG.info("generated a key and self-signed certificate for {} in {}", commonName, keyFile.getParent());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot generate the server key", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the server key to " + keyFile, e);
        }
    }

    private static void writePrivate(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content);
    }

    static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** An EC or RSA private key from a PEM file (PKCS#8, SEC1 or PKCS#1); {@code option} names it in errors. */
    public static PrivateKey readPrivateKey(Path file, String option) {
        for (Object object : readPem(file, option)) {
            // Through the JDK's own "EC" key factory: Bouncy Castle's converter asks for "ECDSA", which SunEC lacks.
            try {
                PrivateKeyInfo info;
                if (object instanceof PEMKeyPair pair && pair.getPrivateKeyInfo().getPrivateKeyAlgorithm()
                        .getAlgorithm().equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption)) {
                    info = pair.getPrivateKeyInfo();
                } else if (object instanceof PEMKeyPair pair) {
                    // SEC1 ("EC PRIVATE KEY", as openssl writes it): the curve goes into the algorithm identifier.
                    info = new PrivateKeyInfo(pair.getPublicKeyInfo().getAlgorithm(),
                            pair.getPrivateKeyInfo().parsePrivateKey());
                } else if (object instanceof PrivateKeyInfo pkcs8) {
                    info = pkcs8;
                } else {
                    continue;
                }
                boolean rsa = info.getPrivateKeyAlgorithm().getAlgorithm()
                        .equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption);
                return java.security.KeyFactory.getInstance(rsa ? "RSA" : "EC")
                        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(info.getEncoded()));
            } catch (IOException | GeneralSecurityException e) {
                throw new InvalidConfigException(option,
                        "is not an EC or RSA private key: " + file + " (" + e.getMessage() + ")");
            }
        }
        throw new InvalidConfigException(option, "holds no private key: " + file);
    }

    private static List<X509Certificate> readTrustedCertificates(Path fileOrFolder) {
        if (!Files.isDirectory(fileOrFolder)) {
            return readCertificates(fileOrFolder, "trusted-certificates");
        }
        List<X509Certificate> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(fileOrFolder)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                all.addAll(readCertificates(file, "trusted-certificates"));
            }
        } catch (IOException e) {
            throw new InvalidConfigException("trusted-certificates", "cannot be listed: " + fileOrFolder);
        }
        return all;
    }

    public static List<X509Certificate> readCertificates(Path file, String option) {
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Object object : readPem(file, option)) {
            if (object instanceof X509CertificateHolder holder) {
                try {
                    certificates.add(converter.getCertificate(holder));
                } catch (CertificateException e) {
                    throw new InvalidConfigException(option, "holds an unreadable certificate: " + file);
                }
            }
        }
        return certificates;
    }

    private static List<Object> readPem(Path file, String option) {
        if (!Files.isReadable(file)) {
            throw new InvalidConfigException(option, "file is not readable: " + file);
        }
        List<Object> objects = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file); PEMParser parser = new PEMParser(reader)) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                objects.add(object instanceof SubjectPublicKeyInfo ? null : object);
            }
        } catch (IOException e) {
            throw new InvalidConfigException(option, "is not PEM: " + file);
        }
        objects.removeIf(o -> o == null);
        return objects;
    }
}
