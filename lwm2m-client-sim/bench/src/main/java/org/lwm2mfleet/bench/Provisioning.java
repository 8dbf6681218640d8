package org.lwm2mfleet.bench;

import java.util.Base64;
import java.util.HexFormat;

import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SecurityMode;

import com.fasterxml.jackson.databind.JsonNode;

/** Provisions bench devices on an LwM2M Fleet server with {@code POST /api/v1/devices:bulk} (CSV, in chunks). */
final class Provisioning {

    static final String TAG = "bench";
    private static final int CHUNK = 4000;

    private Provisioning() {
    }

    /** Devices {@code first} to {@code first + count - 1}; fails when any row is rejected. */
    static void provision(FleetApi api, SecurityMode mode, String fleetSecret, int first, int count) {
        for (int start = first; start < first + count; start += CHUNK) {
            int end = Math.min(first + count, start + CHUNK);
            StringBuilder csv = new StringBuilder("endpoint,kind,identity,key,public_key,tags\n");
            for (int n = start; n < end; n++) {
                String endpoint = BenchFleet.endpoint(n);
                csv.append(switch (mode) {
                case PSK -> endpoint + ",psk," + FleetCredentials.pskIdentity(endpoint) + ","
                        + HexFormat.of().formatHex(FleetCredentials.pskKey(fleetSecret, endpoint)) + ",";
                case RPK -> endpoint + ",rpk,,," + Base64.getEncoder()
                        .encodeToString(FleetCredentials.rpkKeyPair(fleetSecret, endpoint).getPublic().getEncoded());
                case X509 -> endpoint + ",x509,,,";
                case NONE -> endpoint + ",none,,,";
                }).append(',').append(TAG).append('\n');
            }
            FleetApi.Reply reply = api.post("/api/v1/devices:bulk", "text/csv", csv.toString());
            if (!reply.ok()) {
                throw new IllegalStateException("bulk provisioning failed: " + reply.status() + " " + reply.body());
            }
            JsonNode result = reply.json();
            if (result.path("rejected").asInt() > 0) {
                throw new IllegalStateException("bulk provisioning rejected rows: " + reply.body().substring(0,
                        Math.min(2000, reply.body().length())));
            }
        }
    }
}
