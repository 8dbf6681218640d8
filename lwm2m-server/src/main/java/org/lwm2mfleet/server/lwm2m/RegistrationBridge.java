package org.lwm2mfleet.server.lwm2m;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.link.DefaultLinkSerializer;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.LwM2m.Version;
import org.eclipse.leshan.server.queue.PresenceListener;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.registration.RegistrationListener;
import org.eclipse.leshan.server.registration.RegistrationStore;
import org.eclipse.leshan.server.registration.RegistrationUpdate;
import org.lwm2mfleet.server.device.DeviceRegistration;
import org.lwm2mfleet.server.device.DeviceRegistration.AnnouncedObject;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.device.LiveRegistrations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Translates Leshan's registration and presence callbacks into registry facts, and lets the registry end a live
 * registration. Runs on CoAP threads: it only converts and hands over (the registry writes on its own thread).
 */
public final class RegistrationBridge implements RegistrationListener, PresenceListener, LiveRegistrations {

    private static final Logger LOG = LoggerFactory.getLogger(RegistrationBridge.class);
    private static final DefaultLinkSerializer LINKS = new DefaultLinkSerializer();
    /** Leshan formats a version with String.format on every call; a fleet announces a handful of versions. */
    private static final Map<Version, String> VERSIONS = new java.util.concurrent.ConcurrentHashMap<>();

    private final DeviceService devices;
    private final RegistrationStore registrations;
    private final MeterRegistry meters;

    public RegistrationBridge(DeviceService devices, RegistrationStore registrations, MeterRegistry meters) {
        this.devices = devices;
        this.registrations = registrations;
        this.meters = meters;
    }

    @Override
    public void registered(Registration registration, Registration previousReg,
            Collection<Observation> previousObservations) {
        LOG.info("registered endpoint={} peer={} security={} lwm2m={} lifetime={}s", registration.getEndpoint(),
                PeerAddress.of(registration.getClientTransportData()),
                PeerAddress.securityMode(registration.getClientTransportData()), registration.getLwM2mVersion(),
                registration.getLifeTimeInSec());
        count("registered");
        secured(registration);
        devices.registered(registration.getEndpoint(), facts(registration));
    }

    @Override
    public void updated(RegistrationUpdate update, Registration updatedReg, Registration previousReg) {
        LOG.debug("updated endpoint={}", updatedReg.getEndpoint());
        count("updated");
        secured(updatedReg);
        devices.updated(updatedReg.getEndpoint(), facts(updatedReg), update.getObjectLinks() != null);
    }

    @Override
    public void unregistered(Registration registration, Collection<Observation> observations, boolean expired,
            Registration newReg) {
        if (newReg != null) {
            // Replaced by a new registration of the same endpoint: registered() reports that one.
            return;
        }
        LOG.info("{} endpoint={}", expired ? "expired" : "deregistered", registration.getEndpoint());
        count(expired ? "expired" : "deregistered");
        devices.unregistered(registration.getEndpoint(), registration.getId(), expired);
    }

    /**
     * A registration kept across a restart: the registry takes its facts again (they may be newer than what it
     * wrote before a crash) and shows the device online, with no {@code registered} event: nothing happened.
     */
    public void restored(Registration registration) {
        devices.restored(registration.getEndpoint(), facts(registration));
    }

    @Override
    public void onSleeping(Registration registration) {
        devices.presence(registration.getEndpoint(), registration.getId(), true);
    }

    @Override
    public void onAwake(Registration registration) {
        devices.presence(registration.getEndpoint(), registration.getId(), false);
    }

    @Override
    public void drop(String endpoint) {
        Registration registration = registrations.getRegistrationByEndpoint(endpoint);
        if (registration != null) {
            registrations.removeRegistration(registration.getId());
            LOG.info("registration dropped endpoint={}", endpoint);
        }
    }

    /**
     * A request over DTLS: a device with no handshake seen since the start sends on a session loaded from the saved
     * state (see DeviceSessions.securedTraffic). Its handshake, when it made one, was recorded before this request.
     */
    private void secured(Registration registration) {
        if (!"none".equals(PeerAddress.securityMode(registration.getClientTransportData()))) {
            devices.sessions().securedTraffic(registration.getEndpoint());
        }
    }

    private void count(String event) {
        meters.counter("lwm2m.registrations", "event", event).increment();
    }

    static DeviceRegistration facts(Registration registration) {
        return new DeviceRegistration(registration.getId(),
                VERSIONS.computeIfAbsent(registration.getLwM2mVersion(), Version::toString),
                BindingMode.toString(registration.getBindingMode()), registration.usesQueueMode(),
                Duration.ofSeconds(registration.getLifeTimeInSec()),
                LINKS.serializeCoreLinkFormat(registration.getObjectLinks()), announcedObjects(registration),
                PeerAddress.of(registration.getClientTransportData()),
                PeerAddress.securityMode(registration.getClientTransportData()),
                registration.getRegistrationDate().toInstant(), registration.getLastUpdate().toInstant());
    }

    /** The announced object instances, sorted by object then instance (an object without instances first). */
    private static List<AnnouncedObject> announcedObjects(Registration registration) {
        Map<Integer, Version> supported = registration.getSupportedObject();
        Map<Integer, List<Integer>> instances = new java.util.TreeMap<>();
        for (LwM2mPath instance : registration.getAvailableInstances()) {
            if (!instance.isObjectInstance()) {
                continue;
            }
            instances.computeIfAbsent(instance.getObjectId(), id -> new ArrayList<>())
                    .add(instance.getObjectInstanceId());
        }
        List<AnnouncedObject> objects = new ArrayList<>();
        for (Map.Entry<Integer, Version> object : new java.util.TreeMap<>(supported).entrySet()) {
            String version = object.getValue() == null ? null
                    : VERSIONS.computeIfAbsent(object.getValue(), Version::toString);
            List<Integer> ofObject = instances.get(object.getKey());
            if (ofObject == null) {
                objects.add(new AnnouncedObject(object.getKey(), null, version));
                continue;
            }
            ofObject.sort(null);
            for (Integer instance : ofObject) {
                objects.add(new AnnouncedObject(object.getKey(), instance, version));
            }
        }
        return objects;
    }
}
