package org.lwm2mfleet.server.lwm2m;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.leshan.core.LwM2m.LwM2mVersion;
import org.eclipse.leshan.core.LwM2m.Version;
import org.eclipse.leshan.core.endpoint.EndpointUri;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.observation.CompositeObservation;
import org.eclipse.leshan.core.observation.ObservationIdentifier;
import org.eclipse.leshan.core.observation.SingleObservation;
import org.eclipse.leshan.core.peer.IpPeer;
import org.eclipse.leshan.core.peer.LwM2mIdentity;
import org.eclipse.leshan.core.peer.PskIdentity;
import org.eclipse.leshan.core.peer.RpkIdentity;
import org.eclipse.leshan.core.peer.SocketIdentity;
import org.eclipse.leshan.core.peer.X509Identity;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.registration.RegistrationUpdate;
import org.junit.jupiter.api.Test;

/** What the store writes reads back as the same Leshan registration and observation, for every kind of identity. */
class RegistrationJsonTest {

    private static final EndpointUri SERVER = new EndpointUri("coaps", "127.0.0.1", 5684);

    @Test
    void registrationsOfEveryIdentityReadBackEqual() throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 40123);
        List<LwM2mIdentity> identities = List.of(new PskIdentity("meter-7"),
                new RpkIdentity(KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic()),
                new X509Identity("meter-7.example"), new SocketIdentity(address));
        for (LwM2mIdentity identity : identities) {
            Registration registration = registration(new IpPeer(address, identity));
            Registration read = RegistrationJson.readRegistration(RegistrationJson.write(registration),
                    registration.getLastUpdate(), registration.getLifeTimeInSec());
            assertThat(read).as(identity.toString()).isEqualTo(registration);
            assertThat(read.getClientTransportData().getIdentity()).isEqualTo(identity);
            assertThat(read.getSupportedObject()).isEqualTo(registration.getSupportedObject());
        }
    }

    @Test
    void observationsReadBackEqualWithTheirProtocolData() {
        ObservationIdentifier id = new ObservationIdentifier(SERVER, new byte[] { 1, 2, 3, 4, 5, 6, 7, (byte) 0xff });
        SingleObservation single = new SingleObservation(id, "reg-1", new LwM2mPath("/3303/0/5700"),
                ContentFormat.SENML_CBOR, Map.of("note", "x"), Map.of("coap", "serialized request"));
        assertThat(RegistrationJson.readObservation(RegistrationJson.write(single))).isEqualTo(single);
        CompositeObservation composite = new CompositeObservation(id, "reg-1",
                List.of(new LwM2mPath("/3303/0/5700"), new LwM2mPath("/3304/0")), ContentFormat.SENML_JSON,
                ContentFormat.SENML_CBOR, Map.of(), Map.of("coap", "serialized request"));
        assertThat(RegistrationJson.readObservation(RegistrationJson.write(composite))).isEqualTo(composite);
    }

    @Test
    void onlyAnUpdateThatChangesNothingButTheLifetimeIsARefresh() throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 40123);
        IpPeer peer = new IpPeer(address, new PskIdentity("meter-7"));
        Registration registration = registration(peer);
        Registration lifetimeOnly = update(registration, peer, 600L, null).update(registration);
        assertThat(PersistentRegistrationStore.refreshOnly(registration, lifetimeOnly)).isTrue();

        IpPeer moved = new IpPeer(new InetSocketAddress(address.getAddress(), 40999), new PskIdentity("meter-7"));
        assertThat(PersistentRegistrationStore.refreshOnly(registration,
                update(registration, moved, null, null).update(registration))).isFalse();
        assertThat(PersistentRegistrationStore.refreshOnly(registration,
                update(registration, peer, null, EnumSet.of(BindingMode.U, BindingMode.Q)).update(registration)))
                .isFalse();
    }

    private static RegistrationUpdate update(Registration registration, IpPeer peer, Long lifetime,
            EnumSet<BindingMode> binding) {
        return new RegistrationUpdate(registration.getId(), peer, lifetime, null, binding, null, null, null, null,
                null, null, registration.getCustomRegistrationData());
    }

    private static Registration registration(IpPeer peer) throws Exception {
        return new Registration.Builder("reg-1", "meter-7", peer, SERVER)
                .registrationDate(new Date(1_700_000_000_000L)).lastUpdate(new Date(1_700_000_060_000L))
                .lifeTimeInSec(300L).lwM2mVersion(LwM2mVersion.V1_1).bindingMode(EnumSet.of(BindingMode.U))
                .queueMode(false)
                .objectLinks(new QuietLinkParser().parseCoreLinkFormat(
                        ("</>;rt=\"oma.lwm2m\";ct=\"60 110 112 11542 11543\","
                                + "</1>;ver=1.1,</1/0>,</3>;ver=1.1,</3/0>,</3303/0>").getBytes(StandardCharsets.UTF_8)))
                .rootPath("/").supportedContentFormats(Set.of(ContentFormat.TLV, ContentFormat.SENML_CBOR))
                .supportedObjects(Map.of(1, new Version("1.1"), 3, new Version("1.1"), 3303, new Version("1.0")))
                .availableInstances(Set.of(new LwM2mPath(1, 0), new LwM2mPath(3, 0), new LwM2mPath(3303, 0)))
                .additionalRegistrationAttributes(Map.of("apn", "iot")).customRegistrationData(Map.of("tenant", "a"))
                .build();
    }
}
