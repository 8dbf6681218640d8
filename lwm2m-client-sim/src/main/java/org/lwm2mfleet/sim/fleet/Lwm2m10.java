package org.lwm2mfleet.sim.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

import org.eclipse.leshan.client.EndpointsManager;
import org.eclipse.leshan.client.bootstrap.BootstrapHandler;
import org.eclipse.leshan.client.engine.ClientEndpointNameProvider;
import org.eclipse.leshan.client.engine.RegistrationEngine;
import org.eclipse.leshan.client.engine.RegistrationEngineFactory;
import org.eclipse.leshan.client.observer.LwM2mClientObserver;
import org.eclipse.leshan.client.request.UplinkRequestSender;
import org.eclipse.leshan.client.resource.LwM2mObjectTree;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.client.servers.ServersInfoExtractor;
import org.eclipse.leshan.client.util.LinkFormatHelper;
import org.eclipse.leshan.core.link.Link;
import org.eclipse.leshan.core.link.attributes.ResourceTypeAttribute;
import org.eclipse.leshan.core.link.lwm2m.MixedLwM2mLink;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.eclipse.leshan.core.request.UplinkRequest;
import org.eclipse.leshan.core.response.ErrorCallback;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.core.response.ResponseCallback;

/**
 * Makes a Leshan client register as an LwM2M 1.0 device. Leshan's client always registers with its newest version
 * (1.1) and offers no setting; this engine factory hands Leshan's own registration engine a sender that rewrites the
 * Register request it builds: {@code lwm2m=1.0}, no queue-mode flag (1.0 has none) and a root link without {@code ct}
 * (1.0 clients do not announce content formats). Everything else, the protocol included, stays Leshan's.
 */
final class Lwm2m10 implements RegistrationEngineFactory {

    private final RegistrationEngineFactory engines;

    Lwm2m10(RegistrationEngineFactory engines) {
        this.engines = engines;
    }

    @Override
    public RegistrationEngine createRegistratioEngine(ClientEndpointNameProvider endpointNameProvider,
            LwM2mObjectTree objectTree, EndpointsManager endpointsManager, UplinkRequestSender requestSender,
            BootstrapHandler bootstrapState, LwM2mClientObserver observer, Map<String, String> additionalAttributes,
            Map<String, String> bsAdditionalAttributes, Set<ContentFormat> supportedContentFormat,
            ScheduledExecutorService sharedExecutor, LinkFormatHelper linkFormatHelper,
            ServersInfoExtractor serversInfoExtractor) {
        return engines.createRegistratioEngine(endpointNameProvider, objectTree, endpointsManager,
                new Sender(requestSender), bootstrapState, observer, additionalAttributes, bsAdditionalAttributes,
                supportedContentFormat, sharedExecutor, linkFormatHelper, serversInfoExtractor);
    }

    private record Sender(UplinkRequestSender delegate) implements UplinkRequestSender {

        @Override
        public <T extends LwM2mResponse> T send(LwM2mServer server, UplinkRequest<T> request, long timeoutInMs)
                throws InterruptedException {
            return delegate.send(server, as10(request), timeoutInMs);
        }

        @Override
        public <T extends LwM2mResponse> void send(LwM2mServer server, UplinkRequest<T> request, long timeoutInMs,
                ResponseCallback<T> responseCallback, ErrorCallback errorCallback) {
            delegate.send(server, as10(request), timeoutInMs, responseCallback, errorCallback);
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends LwM2mResponse> UplinkRequest<T> as10(UplinkRequest<T> request) {
        if (!(request instanceof RegisterRequest register)) {
            return request;
        }
        List<Link> links = new ArrayList<>();
        for (Link link : register.getObjectLinks()) {
            links.add(link instanceof MixedLwM2mLink lwm2m && lwm2m.getPath().isRoot()
                    ? new MixedLwM2mLink(null, LwM2mPath.ROOTPATH, new ResourceTypeAttribute("oma.lwm2m"))
                    : link);
        }
        return (UplinkRequest<T>) (UplinkRequest<?>) new RegisterRequest(register.getEndpointName(),
                register.getLifetime(), "1.0", register.getBindingMode(), null, register.getSmsNumber(),
                links.toArray(Link[]::new), register.getAdditionalAttributes());
    }
}
