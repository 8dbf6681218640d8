package org.lwm2mfleet.server.config;

/** A configuration value that cannot work; the message names the option as it is spelled on the command line. */
public class InvalidConfigException extends RuntimeException {
    public InvalidConfigException(String option, String problem) {
        super("--" + option + " " + problem);
    }

    /** A problem that is not one option's, such as a key that names no option; {@code message} says it all. */
    protected InvalidConfigException(String message) {
        super(message);
    }
}
