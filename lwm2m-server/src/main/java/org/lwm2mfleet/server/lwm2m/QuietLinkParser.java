package org.lwm2mfleet.server.lwm2m;

import org.eclipse.leshan.core.link.Link;
import org.eclipse.leshan.core.link.LinkParseException;
import org.eclipse.leshan.core.link.lwm2m.LwM2mLink;
import org.eclipse.leshan.core.link.lwm2m.LwM2mLinkParser;

/**
 * Leshan's link parser (tolerating quoted versions, {@link QuotedVersions}), whose errors no longer quote the input. Leshan's message is "Unable to parse" followed by
 * the whole payload, and its registration resource answers 4.00 with that message: a 16 KiB malformed
 * registration came back as a 16 KiB error (block-wise), a reflection the sender did not pay for. The error now
 * gives only the length of what was sent.
 */
final class QuietLinkParser implements LwM2mLinkParser {

    private final LwM2mLinkParser leshan = QuotedVersions.linkParser();

    @Override
    public Link[] parseCoreLinkFormat(byte[] bytes) throws LinkParseException {
        try {
            return leshan.parseCoreLinkFormat(bytes);
        } catch (LinkParseException e) {
            throw quiet(bytes);
        }
    }

    @Override
    public LwM2mLink[] parseLwM2mLinkFromCoreLinkFormat(byte[] bytes, String rootPath) throws LinkParseException {
        try {
            return leshan.parseLwM2mLinkFromCoreLinkFormat(bytes, rootPath);
        } catch (LinkParseException e) {
            throw quiet(bytes);
        }
    }

    private static LinkParseException quiet(byte[] bytes) {
        return new LinkParseException("object links (" + (bytes == null ? 0 : bytes.length)
                + " bytes) are not in CoRE Link Format (RFC 6690)");
    }
}
