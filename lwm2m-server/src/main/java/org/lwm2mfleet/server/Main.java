package org.lwm2mfleet.server;

import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.lwm2mfleet.server.config.ConfigDefaultProvider;
import org.lwm2mfleet.server.config.InvalidConfigException;
import org.lwm2mfleet.server.config.ServerCommand;
import org.lwm2mfleet.server.config.ServerConfig;
import org.lwm2mfleet.models.InvalidModelsException;

import picocli.CommandLine;

/** {@code java -jar lwm2m-server-...-all.jar [options]}: parses the configuration and runs until stopped. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        ServerCommand command = new ServerCommand();
        ConfigDefaultProvider defaults = new ConfigDefaultProvider(env, ConfigDefaultProvider.configFileFrom(args, env));
        CommandLine cli = new CommandLine(command)
                .addSubcommand(new org.lwm2mfleet.server.migrate.MigrateDatabaseCommand())
                .setDefaultValueProvider(defaults);
        CommandLine.ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            e.getCommandLine().usage(System.err);
            System.exit(2);
            return;
        }
        if (parsed.subcommand() != null) {
            System.exit(runSubcommand(parsed.subcommand().commandSpec().commandLine(), cli, defaults));
        }
        if (cli.isUsageHelpRequested()) {
            cli.usage(System.out);
            return;
        }
        if (cli.isVersionHelpRequested()) {
            cli.printVersionHelp(System.out);
            return;
        }

        ServerConfig config;
        FleetServer server;
        try {
            defaults.rejectUnknownKeys(cli.getCommandSpec());
            config = command.toConfig();
            server = FleetServer.start(config);
        } catch (InvalidConfigException | InvalidModelsException e) {
            System.err.println("Cannot start: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "shutdown"));
        stopped.await();
    }

    /** A tool of the server (migrate-database): its exit code. The config file and environment may hold keys of both. */
    private static int runSubcommand(CommandLine sub, CommandLine server, ConfigDefaultProvider defaults)
            throws Exception {
        if (sub.isUsageHelpRequested()) {
            sub.usage(System.out);
            return 0;
        }
        try {
            defaults.rejectUnknownKeys(server.getCommandSpec(), sub.getCommandSpec());
        } catch (InvalidConfigException e) {
            System.err.println("Cannot start: " + e.getMessage());
            return 2;
        }
        return ((java.util.concurrent.Callable<Integer>) sub.getCommand()).call();
    }
}
