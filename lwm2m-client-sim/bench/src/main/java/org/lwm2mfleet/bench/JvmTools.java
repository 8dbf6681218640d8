package org.lwm2mfleet.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Heap after a full GC, of another JVM (through jcmd) or of this one. */
public final class JvmTools {

    /** "garbage-first heap   total 262144K, used 12345K" (G1), and the same shape for the other collectors. */
    private static final Pattern USED = Pattern.compile("total \\d+K, used (\\d+)K");

    private JvmTools() {
    }

    /** Runs a full GC in the JVM {@code pid} and reads the heap in use after it; -1 when jcmd fails. */
    public static long heapAfterGc(Path javaHome, long pid) {
        String jcmd = javaHome.resolve("bin").resolve("jcmd").toString();
        try {
            run(jcmd, Long.toString(pid), "GC.run");
            String info = run(jcmd, Long.toString(pid), "GC.heap_info");
            Matcher used = USED.matcher(info);
            return used.find() ? Long.parseLong(used.group(1)) * 1024 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** This JVM's heap in use after two full GCs. */
    public static long ownHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        return out;
    }
}
