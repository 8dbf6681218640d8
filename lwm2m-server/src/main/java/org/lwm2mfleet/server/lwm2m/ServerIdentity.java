package org.lwm2mfleet.server.lwm2m;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.NetworkInterface;
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
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
    /** Subject CN of the generated certificate; devices that check names look at its alternative names instead. */
    static final String COMMON_NAME = "lwm2m-fleet-server";

    public PublicKey publicKey() {
        return certificateChain[0].getPublicKey();
    }

    public X509Certificate certificate() {
        return certificateChain[0];
    }

    public static ServerIdentity load(ServerConfig config) {
        Path key = config.serverKey();
        Path certificate = config.serverCertificate();
        List<String> names = dtlsNames(config);
        if (key == null) {
            Path keys = config.dataDir().resolve("keys");
            key = keys.resolve("server-key.pem");
            certificate = keys.resolve("server-cert.pem");
            if (!Files.exists(key) || !Files.exists(certificate)) {
                generate(key, certificate, COMMON_NAME, names.toArray(String[]::new));
            } else {
                reissueIfNamesChanged(key, certificate, names);
            }
        }
        PrivateKey privateKey = readPrivateKey(key, "server-key");
        List<X509Certificate> chain = readCertificates(certificate, "server-certificate");
        if (chain.isEmpty()) {
            throw new InvalidConfigException("server-certificate", "holds no certificate: " + certificate);
        }
        List<X509Certificate> trusted = config.trustedCertificates() == null ? List.of()
                : readTrustedCertificates(config.trustedCertificates());
        if (config.serverKey() != null && config.publicHost() != null
                && !names(chain.get(0)).contains(normalized(config.publicHost().trim()))) {
            LOG.warn("the server certificate {} does not name --public-host {} (it names {}): devices that verify "
                    + "the server's name will refuse it", certificate, config.publicHost(), names(chain.get(0)));
        }
        return new ServerIdentity(privateKey, chain.toArray(X509Certificate[]::new), trusted);
    }

    /**
     * The names a device may check our certificate against (OpenSSL- and mbedTLS-based stacks compare the host they
     * connected to with the subject alternative names even when they pin the certificate): {@code --public-host}, and
     * the CoAPS bind address, or for a wildcard bind {@code localhost}, the loopback addresses and each address of
     * the host's interfaces. A bind address given as a name adds that name and the addresses it resolves to.
     */
    static List<String> dtlsNames(ServerConfig config) {
        Set<String> names = new LinkedHashSet<>();
        if (config.publicHost() != null && !config.publicHost().isBlank()) {
            String host = config.publicHost().trim().replace("[", "").replace("]", "");
            if (isIpLiteral(host) && !org.bouncycastle.util.IPAddress.isValid(host)) {
                throw new InvalidConfigException("public-host",
                        "is neither a host name nor an IP address: " + config.publicHost());
            }
            names.add(host);
        }
        String bind = config.coapsBindAddress().replace("[", "").replace("]", "");
        try {
            InetAddress[] addresses = InetAddress.getAllByName(bind);
            if (!isIpLiteral(bind)) {
                names.add(bind);
            }
            for (InetAddress address : addresses) {
                if (address.isAnyLocalAddress()) {
                    names.add("localhost");
                    names.add(InetAddress.getByName("127.0.0.1").getHostAddress());
                    names.add(InetAddress.getByName("::1").getHostAddress());
                    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                        if (nic.isUp()) {
                            for (InetAddress own : Collections.list(nic.getInetAddresses())) {
                                // Link-local addresses are per link and carry a scope: no certificate can name them.
                                if (!own.isLinkLocalAddress()) {
                                    names.add(own.getHostAddress().replaceFirst("%.*$", ""));
                                }
                            }
                        }
                    }
                } else {
                    if (address.isLoopbackAddress()) {
                        names.add("localhost");
                    }
                    names.add(address.getHostAddress());
                }
            }
        } catch (IOException e) {
            // The bind fails later with its own message; the certificate then names what it can.
            LOG.debug("cannot resolve the CoAPS bind address {}: {}", bind, e.toString());
        }
        return List.copyOf(names);
    }

    /**
     * A certificate generated before, for other names ({@code --public-host} or the bind address changed, or it
     * predates the names): issued again for the same key, so that devices holding the server's public key (RPK, or a
     * pinned key) are unaffected, and logged, since devices that pin the certificate itself need the new one.
     */
    private static void reissueIfNamesChanged(Path keyFile, Path certificateFile, List<String> names) {
        List<X509Certificate> existing = readCertificates(certificateFile, "server-certificate");
        if (existing.isEmpty()) {
            return;
        }
        Set<String> issuedFor = names(existing.get(0));
        if (issuedFor.equals(normalized(names))) {
            return;
        }
        PrivateKey privateKey = readPrivateKey(keyFile, "server-key");
        X509Certificate certificate = issue(new KeyPair(existing.get(0).getPublicKey(), privateKey), COMMON_NAME,
                names.toArray(String[]::new));
        try {
            Files.writeString(certificateFile, pem(certificate));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the server certificate to " + certificateFile, e);
        }
        LOG.warn("server certificate issued again, same key, for {} (it named {}): devices that pinned the previous "
                + "certificate need {}", names, issuedFor, certificateFile.toAbsolutePath());
    }

    /** The subject alternative names of a certificate, as {@code dns:name} and {@code ip:address}. */
    static Set<String> names(X509Certificate certificate) {
        Set<String> names = new TreeSet<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    int type = (Integer) alternative.get(0);
                    if (type == 2 || type == 7) {
                        names.add(normalized((String) alternative.get(1)));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            LOG.debug("unreadable subject alternative names: {}", e.toString());
        }
        return names;
    }

    private static Set<String> normalized(List<String> names) {
        Set<String> set = new TreeSet<>();
        names.forEach(n -> set.add(normalized(n)));
        return set;
    }

    /** {@code ip:} with the JDK's spelling of the address (so that {@code ::1} equals {@code 0:0:0:0:0:0:0:1}). */
    private static String normalized(String name) {
        if (isIpLiteral(name)) {
            try {
                return "ip:" + InetAddress.getByName(name).getHostAddress();
            } catch (IOException e) {
                return "ip:" + name;
            }
        }
        return "dns:" + name.toLowerCase(java.util.Locale.ROOT);
    }

    private static boolean isIpLiteral(String name) {
        return name.matches("[0-9.]+|.*:.*");
    }

    /** A P-256 key and a self-signed certificate valid for ten years, written with the key readable by us only. */
    static void generate(Path keyFile, Path certificateFile) {
        generate(keyFile, certificateFile, COMMON_NAME);
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
            X509Certificate certificate = issue(pair, commonName, names);
            org.lwm2mfleet.server.store.OwnerOnly.createDirectories(keyFile.getParent());
            writePrivate(keyFile, pem(new PemObject("PRIVATE KEY", pair.getPrivate().getEncoded())));
            Files.writeString(certificateFile, pem(certificate));
            LOG.info("generated a key and self-signed certificate for {} {} in {}", commonName, List.of(names),
                    keyFile.getParent());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate the server key", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the server key to " + keyFile, e);
        }
    }

    /** A self-signed certificate for {@code pair}, valid for ten years, naming {@code names} (IP or DNS). */
    static X509Certificate issue(KeyPair pair, String commonName, String... names) {
        try {
            X500Name subject = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(64, new SecureRandom()), Date.from(now.minus(1, ChronoUnit.DAYS)),
                    Date.from(now.plus(3650, ChronoUnit.DAYS)), subject, pair.getPublic());
            if (names.length > 0) {
                org.bouncycastle.asn1.x509.GeneralName[] alternatives = new org.bouncycastle.asn1.x509.GeneralName[names.length];
                for (int i = 0; i < names.length; i++) {
                    alternatives[i] = new org.bouncycastle.asn1.x509.GeneralName(
                            isIpLiteral(names[i]) ? org.bouncycastle.asn1.x509.GeneralName.iPAddress
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
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot issue the server certificate", e);
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
