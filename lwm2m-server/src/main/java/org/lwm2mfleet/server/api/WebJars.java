package org.lwm2mfleet.server.api;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.ResourceFactory;

/**
 * Serves the console's third-party browser libraries from the WebJars on the class path
 * ({@code META-INF/resources/webjars/}) under {@code /webjars/}, e.g. {@code /webjars/uplot/1.6.30/dist/uPlot.esm.js}.
 * Open like the console itself: they are public files.
 */
public final class WebJars {

    private WebJars() {
    }

    public static Handler handler(Server server) {
        ResourceHandler files = new ResourceHandler();
        files.setBaseResource(ResourceFactory.of(server).newClassLoaderResource("META-INF/resources/webjars/"));
        files.setDirAllowed(false);
        return new ContextHandler(files, "/webjars");
    }
}
