package org.lwm2mfleet.server.config;

/** A configuration value that cannot work; the message names the option as it is spelled on the command line. */
public class InvalidConfigException extends RuntimeException {
    public InvalidConfigException(String option, String problem) {
        super("--" + option + " " + problem);
    }
}
