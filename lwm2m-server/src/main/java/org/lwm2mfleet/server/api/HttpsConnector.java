package org.lwm2mfleet.server.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.lwm2mfleet.server.config.AccessConfig;
import org.lwm2mfleet.server.config.InvalidConfigException;
import org.lwm2mfleet.server.lwm2m.ServerIdentity;

/**
 * The HTTP port's connector: plain HTTP, or HTTPS from a PKCS#12 keystore, from PEM files, or from a self-signed
 * certificate (for localhost and 127.0.0.1) generated once into {@code <data-dir>/keys}.
 */
public final class HttpsConnector {

    private HttpsConnector() {
    }

    public static ServerConnector create(Server server, AccessConfig access, Path dataDir) {
        if (!access.https()) {
            return new ServerConnector(server);
        }
        SslContextFactory.Server tls = new SslContextFactory.Server();
        if (access.httpsKeystore() != null) {
            if (!Files.isReadable(access.httpsKeystore())) {
                throw new InvalidConfigException("https-keystore", "file is not readable: " + access.httpsKeystore());
            }
            tls.setKeyStorePath(access.httpsKeystore().toAbsolutePath().toString());
            tls.setKeyStoreType("PKCS12");
            tls.setKeyStorePassword(access.httpsKeystorePassword() == null ? "" : access.httpsKeystorePassword());
        } else {
            Path key = access.httpsKey();
            Path certificate = access.httpsCertificate();
            if (key == null) {
                key = dataDir.resolve("keys").resolve("https-key.pem");
                certificate = dataDir.resolve("keys").resolve("https-cert.pem");
                if (!Files.exists(key) || !Files.exists(certificate)) {
                    ServerIdentity.generate(key, certificate, "lwm2m-fleet-console", "localhost", "127.0.0.1");
                }
            }
            tls.setKeyStore(keyStore(ServerIdentity.readPrivateKey(key, "https-key"),
                    ServerIdentity.readCertificates(certificate, "https-certificate")));
            tls.setKeyStorePassword("");
        }
        HttpConfiguration http = new HttpConfiguration();
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // Operators reach the console by IP address or by names the certificate may not list.
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        return new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(http));
    }

    private static KeyStore keyStore(PrivateKey key, List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            throw new InvalidConfigException("https-certificate", "holds no certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("https", key, new char[0], chain.toArray(X509Certificate[]::new));
            return store;
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new InvalidConfigException("https-key", "does not go with the certificate: " + e.getMessage());
        }
    }
}
