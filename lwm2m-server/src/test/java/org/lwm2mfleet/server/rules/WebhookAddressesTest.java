package org.lwm2mfleet.server.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which literal addresses a webhook may call (literals only: no DNS is asked). */
class WebhookAddressesTest {

    @ParameterizedTest
    @ValueSource(strings = { "127.0.0.1", "127.255.0.9", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.5.5",
            "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "239.255.255.250",
            "255.255.255.255", "198.18.0.1", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
            "fec0::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
            "64:ff9b::a9fe:a9fe" })
    void internalAddressesAreRefused(String literal) throws Exception {
        assertThat(WebhookAddresses.forbidden(InetAddress.getByName(literal))).as(literal).isNotNull();
        assertThatThrownBy(() -> new WebhookAddresses(false).resolve(literal))
                .isInstanceOf(WebhookAddresses.Refused.class).hasMessageContaining("--webhook-allow-private");
    }

    @ParameterizedTest
    @ValueSource(strings = { "93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
            "2001:db8::1", "::ffff:8.8.8.8", "64:ff9b::808:808" })
    void publicAddressesAreAllowed(String literal) throws Exception {
        assertThat(WebhookAddresses.forbidden(InetAddress.getByName(literal))).as(literal).isNull();
        assertThat(new WebhookAddresses(false).resolve(literal)).containsExactly(InetAddress.getByName(literal));
    }

    @ParameterizedTest
    @ValueSource(strings = { "127.0.0.1", "[::1]", "10.0.0.1" })
    void theOptionAllowsThem(String literal) throws Exception {
        assertThat(new WebhookAddresses(true).resolve(literal)).hasSize(1);
    }
}
