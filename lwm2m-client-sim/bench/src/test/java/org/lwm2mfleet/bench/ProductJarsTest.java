package org.lwm2mfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;

/**
 * The build check of the module split: the product's runnable jar and the simulator's carry no bench class, and the
 * simulator carries no LwM2M server. This module is built after both (it depends on them), so under {@code mvn verify}
 * their shaded jars are there to read; under {@code mvn test} alone they may not be, and the check is skipped.
 */
class ProductJarsTest {

    private static final Path ROOT = Path.of("..", "..");

    @Test
    void serverJarHoldsNoBenchClass() throws IOException {
        Path jar = shadedJar(ROOT.resolve("lwm2m-server").resolve("target"), "lwm2m-server-");
        assertThat(entries(jar)).as(jar.toString())
                .filteredOn(name -> name.startsWith("org/lwm2mfleet/bench/") || name.startsWith("org/lwm2mfleet/sim/bench/"))
                .isEmpty();
        // The check reads what it means to read: the server's own classes are in the jar.
        assertThat(entries(jar)).contains("org/lwm2mfleet/server/Main.class");
    }

    @Test
    void simulatorJarHoldsNoBenchAndNoServer() throws IOException {
        Path jar = shadedJar(ROOT.resolve("lwm2m-client-sim").resolve("target"), "lwm2m-client-sim-");
        assertThat(entries(jar)).as(jar.toString())
                .filteredOn(name -> name.startsWith("org/lwm2mfleet/bench/") || name.startsWith("org/lwm2mfleet/sim/bench/")
                        || name.startsWith("org/lwm2mfleet/server/") || name.startsWith("org/eclipse/leshan/server/"))
                .isEmpty();
        assertThat(entries(jar)).contains("org/lwm2mfleet/sim/cli/SimulatorMain.class");
    }

    private static Path shadedJar(Path target, String prefix) throws IOException {
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> found = Files.newDirectoryStream(target, prefix + "*-all.jar")) {
                found.forEach(jars::add);
            }
        }
        assumeTrue(!jars.isEmpty(), "no shaded jar in " + target + " (run mvn verify, which packages it first)");
        assertThat(jars).hasSize(1);
        return jars.get(0);
    }

    private static List<String> entries(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream().map(entry -> entry.getName()).toList();
        }
    }
}
