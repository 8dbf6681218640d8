package org.lwm2mfleet.server.ops;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

import org.eclipse.leshan.core.LwM2m.LwM2mVersion;
import org.eclipse.leshan.core.link.Link;
import org.eclipse.leshan.core.link.attributes.Attributes;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.server.registration.Registration;
import org.lwm2mfleet.server.error.FleetException;

/**
 * What a registration says the device can take, checked before anything is sent: a request the device cannot
 * understand is refused at once (400 naming the device's version) instead of waiting for the request timeout, or
 * being answered with an error the operator has to decode. Strict in what we send: only what the device's LwM2M
 * version has, in the content formats it announced.
 */
final class DeviceCapabilities {

    /** Operations LwM2M 1.0 does not have (TS 1.1 section 6.4: Read-, Write- and Observe-Composite are new). */
    private static final Set<String> SINCE_1_1 = Set.of("read-composite", "write-composite", "observe-composite");
    /** Content formats LwM2M 1.0 has (TS 1.0 section 6.4): SenML JSON, SenML CBOR and CBOR came with 1.1. */
    private static final Set<ContentFormat> IN_1_0 = Set.of(ContentFormat.TLV, ContentFormat.JSON,
            ContentFormat.TEXT, ContentFormat.OPAQUE, ContentFormat.LINK);

    private DeviceCapabilities() {
    }

    /** Refuses an operation the device's version lacks, or any operation when its binding is not one we speak. */
    static void checkOperation(Registration registration, String operation) {
        if (is10(registration) && SINCE_1_1.contains(operation)) {
            throw FleetException.invalid("operation", operation + " does not exist in LwM2M 1.0, the version device '"
                    + registration.getEndpoint() + "' registered with");
        }
        EnumSet<BindingMode> binding = registration.getBindingMode();
        // The server has UDP endpoints only (CoAP and CoAPS): a device that says it takes nothing over UDP (SMS,
        // TCP or Non-IP binding alone) cannot be reached by anything we would send.
        if (binding != null && !binding.isEmpty() && !binding.contains(BindingMode.U)) {
            throw FleetException.invalid("operation", "device '" + registration.getEndpoint() + "' registered with binding "
                    + BindingMode.toString(binding) + " (LwM2M " + registration.getLwM2mVersion()
                    + "): it takes no requests over UDP, the only transport of this server");
        }
    }

    /**
     * Refuses a content format the device cannot take: one its version does not have, or, from LwM2M 1.1 (where a
     * device may announce its formats with {@code ct} on the root link), one it did not announce when it announced
     * any.
     *
     * @param format the format the request asks for, or null to let the device choose
     */
    static void checkFormat(Registration registration, ContentFormat format) {
        if (format == null || format.equals(ContentFormat.LINK)) {
            return;
        }
        if (is10(registration)) {
            if (!IN_1_0.contains(format)) {
                throw FleetException.invalid("format", format.getName() + " does not exist in LwM2M 1.0, the version"
                        + " device '" + registration.getEndpoint() + "' registered with: one of "
                        + names(IN_1_0));
            }
            return;
        }
        Set<ContentFormat> announced = announcedFormats(registration);
        if (announced != null && !announced.contains(format)) {
            throw FleetException.invalid("format", format.getName() + " is not among the content formats device '"
                    + registration.getEndpoint() + "' announced (LwM2M " + registration.getLwM2mVersion() + "): "
                    + names(announced));
        }
    }

    /**
     * The format of a composite request: the one asked for, else SenML CBOR or SenML JSON, whichever the device
     * announced (CBOR first: smaller). Composite requests need one of them.
     */
    static ContentFormat compositeFormat(Registration registration, ContentFormat requested) {
        if (requested != null) {
            if (!requested.equals(ContentFormat.SENML_CBOR) && !requested.equals(ContentFormat.SENML_JSON)) {
                throw FleetException.invalid("format", "composite operations take senml-cbor or senml-json");
            }
            checkFormat(registration, requested);
            return requested;
        }
        Set<ContentFormat> announced = announcedFormats(registration);
        if (announced == null || announced.contains(ContentFormat.SENML_CBOR)) {
            return ContentFormat.SENML_CBOR;
        }
        if (announced.contains(ContentFormat.SENML_JSON)) {
            return ContentFormat.SENML_JSON;
        }
        throw FleetException.invalid("format", "composite operations need SenML CBOR or SenML JSON, and device '"
                + registration.getEndpoint() + "' (LwM2M " + registration.getLwM2mVersion() + ") announced "
                + names(announced));
    }

    /**
     * The formats a 1.1 device announced with {@code ct} on its root link (with those 1.1 makes mandatory, as Leshan
     * adds them), or null when it announced none: {@code ct} is optional, and devices that omit it (Leshan's own
     * client among them) do take SenML, so no announcement means no restriction beyond the version's.
     */
    private static Set<ContentFormat> announcedFormats(Registration registration) {
        Link[] links = registration.getObjectLinks();
        if (links != null) {
            for (Link link : links) {
                if (link != null && link.getAttributes().get(Attributes.CT) != null) {
                    return registration.getSupportedContentFormats();
                }
            }
        }
        return null;
    }

    private static boolean is10(Registration registration) {
        return LwM2mVersion.V1_0.equals(registration.getLwM2mVersion());
    }

    private static String names(Set<ContentFormat> formats) {
        return formats.stream().map(ContentFormat::getName).sorted().collect(Collectors.joining(", "));
    }
}
