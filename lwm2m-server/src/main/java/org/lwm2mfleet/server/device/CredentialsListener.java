package org.lwm2mfleet.server.device;

/** Told when a device's credentials change, so the DTLS side never has to ask the database during a handshake. */
public interface CredentialsListener {

    /** @param credentials the new credentials, or null when the device was deleted */
    void credentialsChanged(String endpoint, Credentials credentials);
}
