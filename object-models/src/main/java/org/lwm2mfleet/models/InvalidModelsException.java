package org.lwm2mfleet.models;

/** One or more object definition files could not be parsed or validated; the message names each file. */
public class InvalidModelsException extends RuntimeException {
    public InvalidModelsException(String message) {
        super(message);
    }
}
