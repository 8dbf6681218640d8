package org.lwm2mfleet.sim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.Callable;

import org.lwm2mfleet.sim.fleet.FleetCredentials;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code credentials}: what the server must be provisioned with for a fleet, as the CSV that
 * {@code POST /api/v1/devices:bulk} takes, and the fleet CA certificate the server must trust for X.509.
 */
@Command(name = "credentials", mixinStandardHelpOptions = true, sortOptions = false,
        description = { "Print the provisioning CSV of a fleet (for POST /api/v1/devices:bulk), and optionally write its CA certificate.",
                "Columns: endpoint,kind,identity,key,public_key,tags: key is the PSK in hex (psk), public_key the device's "
                        + "EC public key as base64 DER (rpk); x509 rows carry no key, the server trusts the fleet CA instead." })
final class CredentialsCommand implements Callable<Integer> {

    @Option(names = "--fleet-secret", required = true, paramLabel = "SECRET",
            description = "The fleet's secret, as given to 'fleet' and 'run'.")
    String fleetSecret;

    @Option(names = "--count", defaultValue = "10", description = "Number of devices (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--pattern", defaultValue = "sim-%05d",
            description = "Endpoint names, a String.format pattern numbered from 1 (default: ${DEFAULT-VALUE}).")
    String pattern;

    @Option(names = "--security", defaultValue = "psk", paramLabel = "MODE", description = "psk, rpk, x509 or none (default: ${DEFAULT-VALUE}).")
    String security;

    @Option(names = "--tags", defaultValue = "simulated", paramLabel = "TAGS", description = "Tags of every row, ';'-separated (default: ${DEFAULT-VALUE}).")
    String tags;

    @Option(names = { "--ca-certificate", "--ca-cert" }, paramLabel = "FILE",
            description = "Also write the fleet's CA certificate (PEM) here, for the server's --trusted-certificates.")
    Path caCertificate;

    @Override
    public Integer call() throws IOException {
        String kind = security.strip().toLowerCase();
        System.out.println("endpoint,kind,identity,key,public_key,tags");
        for (int n = 1; n <= count; n++) {
            String endpoint = String.format(pattern, n);
            String row = switch (kind) {
            case "psk" -> endpoint + ",psk," + FleetCredentials.pskIdentity(endpoint) + ","
                    + HexFormat.of().formatHex(FleetCredentials.pskKey(fleetSecret, endpoint)) + ",";
            case "rpk" -> endpoint + ",rpk,,," + Base64.getEncoder()
                    .encodeToString(FleetCredentials.rpkKeyPair(fleetSecret, endpoint).getPublic().getEncoded());
            case "x509" -> endpoint + ",x509,,,";
            case "none" -> endpoint + ",none,,,";
            default -> throw new IllegalArgumentException("--security must be psk, rpk, x509 or none");
            };
            System.out.println(row + "," + tags);
        }
        if (caCertificate != null) {
            Files.writeString(caCertificate, FleetCredentials.toPem(FleetCredentials.caCertificate(fleetSecret)));
            System.err.println("fleet CA certificate written to " + caCertificate);
        }
        return 0;
    }
}
