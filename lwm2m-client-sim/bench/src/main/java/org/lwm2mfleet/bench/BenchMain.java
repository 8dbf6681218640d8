package org.lwm2mfleet.bench;

import org.lwm2mfleet.sim.cli.SimulatorMain;

import picocli.CommandLine;

/**
 * {@code java -jar lwm2m-bench-...-all.jar COMMAND [options]}: the simulator's command line with {@code bench} added.
 * The bench lives in its own module (it carries a second LwM2M server, the Leshan baseline, and drives the product's
 * jar), so the simulator library stays free of both; its users still find every command under one name.
 */
public final class BenchMain {

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new SimulatorMain()).addSubcommand("bench", new BenchCommand());
        int exit = commandLine.execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }
}
