package org.lwm2mfleet.server.lwm2m;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.network.interceptors.MessageInterceptor;
import org.eclipse.leshan.core.LwM2m.LwM2mVersion;
import org.eclipse.leshan.core.link.attributes.AttributeModel;
import org.eclipse.leshan.core.link.attributes.Attributes;
import org.eclipse.leshan.core.link.lwm2m.DefaultLwM2mLinkParser;
import org.eclipse.leshan.core.link.lwm2m.LwM2mLinkParser;
import org.eclipse.leshan.core.link.lwm2m.attributes.LwM2mAttributeModel;
import org.eclipse.leshan.core.link.lwm2m.attributes.LwM2mAttributes;
import org.eclipse.leshan.core.link.lwm2m.attributes.LwM2mVersionAttributeModel;
import org.eclipse.leshan.core.link.lwm2m.attributes.ObjectVersionAttributeModel;

/**
 * Accepts versions written in quotes, as LwM2M TS 1.0 writes them in its examples ({@code </10>;ver="1.1"},
 * {@code lwm2m="1.0"}), while TS 1.1 writes them bare. Leshan refuses a quoted {@code ver} with 4.00 ("version should
 * not be quoted", eclipse/leshan#732) and leaves the choice to a subclass of its attribute model; a 1.0 device that
 * follows its own specification would otherwise never register. The value is kept as a {@code Version}, so it is
 * stored and shown unquoted. Quotes are accepted whatever the registration's LwM2M version: the object links are
 * parsed before Leshan reads the {@code lwm2m} query parameter, and a quoted version is unambiguous anyway.
 */
public final class QuotedVersions {

    private QuotedVersions() {
    }

    /** Leshan's link parser with every attribute it knows, {@code ver} and {@code lwm2m} tolerating quotes. */
    /**
     * One parser for the whole server: a link attribute equals another only with the same model instance, so links
     * parsed at registration and read back from the store compare equal.
     */
    private static final LwM2mLinkParser PARSER = build();

    public static LwM2mLinkParser linkParser() {
        return PARSER;
    }

    private static LwM2mLinkParser build() {
        Collection<AttributeModel<?>> attributes = new ArrayList<>(Attributes.ALL);
        for (LwM2mAttributeModel<?> model : LwM2mAttributes.ALL) {
            if (model.getName().equals(LwM2mAttributes.OBJECT_VERSION.getName())) {
                attributes.add(new ObjectVersionAttributeModel() {
                    @Override
                    protected boolean tolerateQuote() {
                        return true;
                    }
                });
            } else if (model.getName().equals(LwM2mAttributes.ENABLER_VERSION.getName())) {
                attributes.add(new LwM2mVersionAttributeModel() {
                    @Override
                    protected boolean tolerateQuote(LwM2mVersion version) {
                        return true;
                    }
                });
            } else {
                attributes.add(model);
            }
        }
        return new DefaultLwM2mLinkParser(attributes);
    }

    /**
     * Unquotes the {@code lwm2m} query parameter of a Register request ({@code lwm2m="1.0"} as TS 1.0 writes it) before
     * Leshan reads it: Leshan takes the raw string and refuses it as an invalid version. Runs on the endpoint's
     * receiving thread, before deduplication and Leshan's resources; touches nothing else.
     */
    static final MessageInterceptor UNQUOTE_LWM2M_QUERY = new MessageInterceptor() {
        @Override
        public void receiveRequest(Request request) {
            if (request.getCode() != CoAP.Code.POST || request.getOptions().getURIQueryCount() == 0) {
                return;
            }
            List<String> query = request.getOptions().getUriQueryStrings();
            List<String> unquoted = null;
            for (int i = 0; i < query.size(); i++) {
                String parameter = query.get(i);
                if (parameter.length() >= "lwm2m=\"\"".length() && parameter.startsWith("lwm2m=\"")
                        && parameter.endsWith("\"")) {
                    if (unquoted == null) {
                        unquoted = new ArrayList<>(query);
                    }
                    unquoted.set(i, "lwm2m=" + parameter.substring("lwm2m=\"".length(), parameter.length() - 1));
                }
            }
            if (unquoted != null) {
                request.getOptions().clearUriQuery();
                unquoted.forEach(request.getOptions()::addUriQuery);
            }
        }
    };
}
