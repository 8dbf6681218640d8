package org.lwm2mfleet.sim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar lwm2m-client-sim-...-all.jar COMMAND [options]}. */
@Command(name = "lwm2m-client-sim", mixinStandardHelpOptions = true, version = "LwM2M Fleet simulator 0.1.0",
        description = "Simulated LwM2M meters and sensors: one device, or a whole fleet in one process.",
        subcommands = { RunCommand.class, FleetCommand.class, CredentialsCommand.class })
public final class SimulatorMain {

    public static void main(String[] args) {
        int exit = new CommandLine(new SimulatorMain()).execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }
}
