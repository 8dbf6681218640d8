package org.lwm2mfleet.server.lwm2m;

import org.eclipse.californium.scandium.dtls.cipher.CipherSuite;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuiteParameters;
import org.eclipse.californium.scandium.dtls.cipher.DefaultCipherSuiteSelector;
import org.eclipse.californium.scandium.dtls.cipher.XECDHECryptography.SupportedGroup;

/**
 * Scandium's cipher suite choice, except for the ECDHE curve: X25519 whenever the device offers it, wherever it is in
 * the device's list. Scandium takes the device's first curve, and its clients (like many devices, after RFC 7925)
 * list secp256r1 first; but an X25519 agreement costs both sides about half of a P-256 one, whose peer key the JDK
 * also validates with a second scalar multiplication (JFR of bench register-storm --security rpk). A device that
 * offers only secp256r1 gets secp256r1.
 */
class X25519FirstSelector extends DefaultCipherSuiteSelector {

    @Override
    protected boolean select(CipherSuite suite, CipherSuiteParameters parameters) {
        if (!super.select(suite, parameters)) {
            return false;
        }
        if (suite.isEccBased() && SupportedGroup.X25519.isUsable()
                && parameters.getSupportedGroups().contains(SupportedGroup.X25519)) {
            parameters.selectSupportedGroup(SupportedGroup.X25519);
        }
        return true;
    }
}
