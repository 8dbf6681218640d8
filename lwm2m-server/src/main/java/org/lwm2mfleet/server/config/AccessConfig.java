package org.lwm2mfleet.server.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How people and integrators reach the HTTP side: the first admin's password, sessions, password hashing, HTTPS.
 *
 * @param adminPassword password of the first user {@code admin}, created when there is no user; null: a one-time
 *        password is generated and written to {@code <data-dir>/initial-admin-password} (never to the log)
 * @param passwordIterations PBKDF2 iterations for new password hashes
 * @param sessionIdleTimeout a browser session ends after this long without a request
 * @param sessionMaxAge a browser session ends this long after sign-in, whatever happens
 * @param https serve HTTPS instead of HTTP on the HTTP port
 * @param httpsKeystore PKCS#12 keystore with the HTTPS key and certificate, or null
 * @param httpsKeystorePassword its password
 * @param httpsKey PEM private key for HTTPS (with {@code httpsCertificate}), or null
 * @param httpsCertificate PEM certificate chain for HTTPS, or null; with neither keystore nor PEM files a
 *        self-signed certificate is generated once into {@code <data-dir>/keys}
 * @param auditRetention audit log entries older than this are deleted
 */
public record AccessConfig(String adminPassword, int passwordIterations, Duration sessionIdleTimeout,
        Duration sessionMaxAge, boolean https, Path httpsKeystore, String httpsKeystorePassword, Path httpsKey,
        Path httpsCertificate, Duration auditRetention) {

    public static final int DEFAULT_PASSWORD_ITERATIONS = 600_000;
    public static final Duration DEFAULT_AUDIT_RETENTION = Duration.ofDays(365);

    public AccessConfig {
        if (adminPassword != null && adminPassword.length() < 12) {
            throw new InvalidConfigException("admin-password", "must be at least 12 characters");
        }
        if (passwordIterations < 1000) {
            throw new InvalidConfigException("password-iterations", "must be at least 1000");
        }
        if (sessionIdleTimeout == null || sessionIdleTimeout.toSeconds() < 60) {
            throw new InvalidConfigException("session-idle-timeout", "must be at least 1 minute");
        }
        if (sessionMaxAge == null || sessionMaxAge.compareTo(sessionIdleTimeout) < 0) {
            throw new InvalidConfigException("session-max-age", "must be at least the idle timeout");
        }
        if ((httpsKey == null) != (httpsCertificate == null)) {
            throw new InvalidConfigException(httpsKey == null ? "https-key" : "https-certificate",
                    "https-key and https-certificate go together");
        }
        if (httpsKeystore != null && httpsKey != null) {
            throw new InvalidConfigException("https-keystore", "use either a keystore or PEM files, not both");
        }
        if ((httpsKeystore != null || httpsKey != null) && !https) {
            throw new InvalidConfigException("https", "HTTPS key material is configured but --https is off");
        }
        if (auditRetention == null || auditRetention.toHours() < 1) {
            throw new InvalidConfigException("audit-retention", "must be at least 1 hour");
        }
    }

    public static AccessConfig defaults() {
        return new AccessConfig(null, DEFAULT_PASSWORD_ITERATIONS, Duration.ofMinutes(30), Duration.ofHours(12),
                false, null, null, null, null, DEFAULT_AUDIT_RETENTION);
    }

    public AccessConfig withAdminPassword(String password) {
        return new AccessConfig(password, passwordIterations, sessionIdleTimeout, sessionMaxAge, https,
                httpsKeystore, httpsKeystorePassword, httpsKey, httpsCertificate, auditRetention);
    }

    public AccessConfig withPasswordIterations(int iterations) {
        return new AccessConfig(adminPassword, iterations, sessionIdleTimeout, sessionMaxAge, https, httpsKeystore,
                httpsKeystorePassword, httpsKey, httpsCertificate, auditRetention);
    }

    public AccessConfig withSessions(Duration idleTimeout, Duration maxAge) {
        return new AccessConfig(adminPassword, passwordIterations, idleTimeout, maxAge, https, httpsKeystore,
                httpsKeystorePassword, httpsKey, httpsCertificate, auditRetention);
    }

    /** HTTPS with a keystore, PEM files, or (all null) a generated self-signed certificate. */
    public AccessConfig withHttps(Path keystore, String keystorePassword, Path key, Path certificate) {
        return new AccessConfig(adminPassword, passwordIterations, sessionIdleTimeout, sessionMaxAge, true, keystore,
                keystorePassword, key, certificate, auditRetention);
    }

    public AccessConfig withAuditRetention(Duration retention) {
        return new AccessConfig(adminPassword, passwordIterations, sessionIdleTimeout, sessionMaxAge, https,
                httpsKeystore, httpsKeystorePassword, httpsKey, httpsCertificate, retention);
    }

    /** Never prints the passwords: configurations end up in logs and exception messages. */
    @Override
    public String toString() {
        return "AccessConfig[adminPassword=" + (adminPassword == null ? "none" : "***") + ", passwordIterations="
                + passwordIterations + ", sessionIdleTimeout=" + sessionIdleTimeout + ", sessionMaxAge="
                + sessionMaxAge + ", https=" + https + ", httpsKeystore=" + httpsKeystore + ", httpsKey=" + httpsKey
                + ", httpsCertificate=" + httpsCertificate + ", auditRetention=" + auditRetention + "]";
    }
}
