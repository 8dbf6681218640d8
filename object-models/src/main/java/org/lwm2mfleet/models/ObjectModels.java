package org.lwm2mfleet.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.eclipse.leshan.core.model.DDFFileParser;
import org.eclipse.leshan.core.model.DefaultObjectModelValidator;
import org.eclipse.leshan.core.model.InvalidDDFFileException;
import org.eclipse.leshan.core.model.InvalidModelException;
import org.eclipse.leshan.core.model.ObjectLoader;
import org.eclipse.leshan.core.model.ObjectModel;

/**
 * The object models the server and the simulator share: the OMA registry definitions shipped in this module (newest
 * version of each object in {@code <id>.xml}, the registry's older versions in {@code <id>-<major>_<minor>.xml}), the
 * older versions that Leshan's core jar carries, and optionally an operator's folder.
 */
public final class ObjectModels {

    static final String DDF_FOLDER = "/org/lwm2mfleet/models/ddf/";
    static final String DDF_INDEX = "/org/lwm2mfleet/models/ddf-index.txt";

    private ObjectModels() {
    }

    /**
     * Every shipped model: registry definitions (every version the registry has) plus Leshan's older versions of the
     * core objects.
     */
    public static List<ObjectModel> all() {
        Map<String, ObjectModel> byIdAndVersion = new LinkedHashMap<>();
        // Later wins for the same id and version: the registry's older versions, then Leshan's own older core models
        // (those Leshan's client and server are tested with), then the registry's newest definitions.
        for (ObjectModel model : shipped(true)) {
            byIdAndVersion.put(key(model), model);
        }
        for (ObjectModel model : ObjectLoader.loadAllDefault()) {
            byIdAndVersion.put(key(model), model);
        }
        for (ObjectModel model : shipped(false)) {
            byIdAndVersion.put(key(model), model);
        }
        return new ArrayList<>(byIdAndVersion.values());
    }

    /** Every shipped model plus the models of the DDF files in {@code folder} (which may be null). */
    public static List<ObjectModel> allWithExtraFolder(Path folder) {
        List<ObjectModel> models = all();
        if (folder != null) {
            models.addAll(fromFolder(folder));
        }
        return models;
    }

    /** The registry definitions shipped in this module; any invalid file fails the call, by name. */
    static List<ObjectModel> shipped() {
        List<ObjectModel> models = shipped(true);
        models.addAll(shipped(false));
        return models;
    }

    /** @param olderVersions the registry's older versions ({@code 3303-1_0.xml}) or else its newest ones */
    private static List<ObjectModel> shipped(boolean olderVersions) {
        List<ObjectModel> models = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (String file : shippedFileNames()) {
            if (isOlderVersionFile(file) != olderVersions) {
                continue;
            }
            try (InputStream in = ObjectModels.class.getResourceAsStream(DDF_FOLDER + file)) {
                if (in == null) {
                    failures.add(file + ": listed in the index but missing");
                    continue;
                }
                models.addAll(parse(in, file));
            } catch (IOException | InvalidDDFFileException | InvalidModelException | RuntimeException e) {
                failures.add(file + ": " + reason(e));
            }
        }
        throwIfAny(failures, "shipped object definitions");
        return models;
    }

    /**
     * The models of every {@code *.xml} file in a folder, validated as the shipped ones are. Unlike Leshan's
     * {@code ObjectLoader.loadObjectsFromDir}, which logs and skips a bad file, a bad file fails the call and is named:
     * an operator who adds a vendor's objects should learn at start that one of them is broken.
     */
    public static List<ObjectModel> fromFolder(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new InvalidModelsException("models folder " + folder + " is not a readable directory");
        }
        List<ObjectModel> models = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".xml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    models.addAll(parse(in, file.getFileName().toString()));
                } catch (IOException | InvalidDDFFileException | InvalidModelException | RuntimeException e) {
                    failures.add(file.getFileName() + ": " + reason(e));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list models folder " + folder, e);
        }
        throwIfAny(failures, "object definitions in " + folder);
        return models;
    }

    /**
     * Parses one DDF file and validates the models it defines (types, operations, ids, ranges). The XML is not checked
     * against the registry's XSD: many files of the OMA registry itself (3410, 3421, 20, ...) differ from their schema in
     * element order or type names that Leshan's parser reads correctly.
     */
    private static List<ObjectModel> parse(InputStream in, String name)
            throws IOException, InvalidDDFFileException, InvalidModelException {
        return ObjectLoader.loadDdfFile(in, name, new DDFFileParser(), new DefaultObjectModelValidator());
    }

    /** The deepest cause says what is wrong (an XML line, a resource id); the outer ones only repeat the name. */
    private static String reason(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause == e ? e.getMessage() : e.getMessage() + " (" + cause.getMessage() + ")";
    }

    /** {@code 3303-1_0.xml} is Temperature 1.0 from the registry's version history; {@code 3303.xml} the newest. */
    static boolean isOlderVersionFile(String file) {
        return file.indexOf('-') > 0;
    }

    static List<String> shippedFileNames() {
        try (InputStream in = ObjectModels.class.getResourceAsStream(DDF_INDEX)) {
            if (in == null) {
                throw new IllegalStateException(DDF_INDEX + " is missing from the classpath");
            }
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                return reader.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void throwIfAny(List<String> failures, String what) {
        if (!failures.isEmpty()) {
            throw new InvalidModelsException(
                    failures.size() + " invalid " + what + ":\n  " + String.join("\n  ", failures));
        }
    }

    private static String key(ObjectModel model) {
        return model.id + "@" + model.version;
    }
}
