package org.lwm2mfleet.server.models;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.model.ObjectModel;

/**
 * Which model the server uses for an object a device announced. The exact version when the server has it; otherwise
 * the nearest version of the same object, <em>assumed</em>: a device announcing a version the catalogue lacks (a
 * newer registry version, a vendor's revision) can still be read and written resource by resource, instead of having
 * every operation refused. Registry versions of an object keep the ids and types of the resources they share, so the
 * nearest version names and types them right; the device page says the version was assumed.
 */
public final class ModelCatalogue {

    /** The model chosen for an announced object and version; {@code assumed} when it is not that version's. */
    public record Choice(ObjectModel model, boolean assumed) {
    }

    private final Map<Integer, List<ObjectModel>> byId = new HashMap<>();

    public ModelCatalogue(Collection<ObjectModel> models) {
        for (ObjectModel model : models) {
            byId.computeIfAbsent(model.id, id -> new ArrayList<>()).add(model);
        }
    }

    /**
     * @param version the announced version, e.g. "1.0" (Leshan gives 1.0 to an object announced without one)
     * @return the exact model, else the nearest one marked assumed, else null when the server knows no version at all
     */
    public Choice choose(int objectId, String version) {
        List<ObjectModel> versions = byId.get(objectId);
        if (versions == null) {
            return null;
        }
        int[] wanted = parse(version);
        ObjectModel best = null;
        long bestDistance = Long.MAX_VALUE;
        for (ObjectModel model : versions) {
            if (model.version.equals(version)) {
                return new Choice(model, false);
            }
            long distance = distance(wanted, parse(model.version));
            // Same distance either side: the newer one, since registry revisions add optional resources.
            if (distance < bestDistance
                    || distance == bestDistance && compare(parse(model.version), parse(best.version)) > 0) {
                best = model;
                bestDistance = distance;
            }
        }
        return new Choice(best, true);
    }

    /** Another major version is farther than any minor difference. */
    private static long distance(int[] a, int[] b) {
        return Math.abs((long) a[0] - b[0]) * 1_000_000L + Math.abs((long) a[1] - b[1]);
    }

    private static int compare(int[] a, int[] b) {
        return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
    }

    private static int[] parse(String version) {
        if (version == null) {
            return new int[] { 1, 0 };
        }
        int dot = version.indexOf('.');
        try {
            return dot < 0 ? new int[] { Integer.parseInt(version), 0 }
                    : new int[] { Integer.parseInt(version.substring(0, dot)),
                            Integer.parseInt(version.substring(dot + 1)) };
        } catch (NumberFormatException e) {
            return new int[] { 1, 0 };
        }
    }
}
