package org.lwm2mfleet.server.lwm2m;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.leshan.core.Destroyable;
import org.eclipse.leshan.core.Startable;
import org.eclipse.leshan.core.Stoppable;
import org.eclipse.leshan.core.observation.CompositeObservation;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.observation.ObservationIdentifier;
import org.eclipse.leshan.core.observation.SingleObservation;
import org.eclipse.leshan.core.peer.LwM2mIdentity;
import org.eclipse.leshan.server.registration.Deregistration;
import org.eclipse.leshan.server.registration.ExpirationListener;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.registration.RegistrationStore;
import org.eclipse.leshan.server.registration.RegistrationUpdate;
import org.eclipse.leshan.server.registration.UpdatedRegistration;
import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.lwm2mfleet.server.store.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leshan's registration and observation store, kept in the database so that a restart (graceful or a crash) costs
 * the devices nothing: the next Update or notification of a device is accepted as if the server had never stopped.
 *
 * <p>
 * The hot path is memory: every Update and every notification reads these maps, never SQL. What must survive a
 * crash is written before Leshan answers: a new registration, a de-registration (or expiry, or replacement), an
 * Update that changes anything but the lifetime (object links, binding, address, SMS number, attributes), and every
 * observation added or removed. Those are rare. An Update that only refreshes the registration (its last-update time,
 * and a new lifetime if it brings one) is the frequent case, and is written in batches every
 * {@link #REFRESH_PERIOD} by the store's own thread: a crash loses at most that much refreshing, never a
 * registration. At start every stored row is loaded, and those whose lifetime ended while the server was down expire
 * on the first sweep, through Leshan's expiration listener, so that the registry and the event stream hear of it as
 * of any expiry.
 *
 * <p>
 * Writes of one endpoint are serialised by a lock stripe held across the SQL and the map change, so the database
 * and the maps see one endpoint's changes in the same order; endpoints of other stripes write concurrently.
 * A database that refuses a write makes the operation fail (Leshan answers 5.00), rather than pretending.
 */
public final class PersistentRegistrationStore implements RegistrationStore, Startable, Stoppable, Destroyable {

    private static final Logger LOG = LoggerFactory.getLogger(PersistentRegistrationStore.class);
    /** How stale the stored last-update time and lifetime of a registration can be (what a crash can lose). */
    public static final Duration REFRESH_PERIOD = Duration.ofSeconds(1);
    /** Refreshes per statement batch: a fleet of 10,000 updating every minute is a few batches per second. */
    private static final int REFRESH_BATCH = 1_000;
    private static final int STRIPES = 64;
    public static final String THREAD_NAME = "registration-store";

    private final Jdbc jdbc;
    private final Duration cleanupPeriod;

    private final ConcurrentMap<String, Registration> byId = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Registration> byEndpoint = new ConcurrentHashMap<>();
    private final ConcurrentMap<InetSocketAddress, Registration> byAddress = new ConcurrentHashMap<>();
    private final ConcurrentMap<LwM2mIdentity, Registration> byIdentity = new ConcurrentHashMap<>();
    private final ConcurrentMap<ObservationIdentifier, Observation> observations = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Set<ObservationIdentifier>> observationsOf = new ConcurrentHashMap<>();
    /** Refreshed registrations not yet stored, by id: the latest one of each wins. */
    private final ConcurrentMap<String, Registration> refreshes = new ConcurrentHashMap<>();
    private final Object[] stripes = new Object[STRIPES];

    private volatile ExpirationListener expirationListener;
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> cleaner;
    private ScheduledFuture<?> refresher;
    private List<Registration> loaded = List.of();

    /** @param cleanupPeriod how often registrations past their lifetime are looked for (and expired) */
    public PersistentRegistrationStore(Jdbc jdbc, Duration cleanupPeriod) {
        this.jdbc = jdbc;
        this.cleanupPeriod = cleanupPeriod;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    // ---- start: what was stored ------------------------------------------------------------------------------------

    /**
     * Reads every stored registration and observation into memory; call once, before Leshan starts. Registrations
     * past their lifetime are loaded too: the first sweep of {@link #start} expires them, with their events.
     */
    public void load() {
        List<Registration> registrations = jdbc.query(
                "SELECT registration_id, body, last_update, lifetime_s FROM lwm2m_registrations", row -> {
                    try {
                        return RegistrationJson.readRegistration(row.getString("body"),
                                Date.from(Jdbc.instant(row, "last_update")), row.getLong("lifetime_s"));
                    } catch (RuntimeException e) {
                        // Left in place: the device's next registration replaces the row (same endpoint).
                        LOG.warn("stored registration not readable id={} reason={}", row.getString("registration_id"),
                                e.getMessage());
                        return null;
                    }
                });
        List<Registration> alive = new ArrayList<>();
        int expired = 0;
        for (Registration registration : registrations) {
            if (registration == null) {
                continue;
            }
            index(registration);
            if (registration.isAlive()) {
                alive.add(registration);
            } else {
                expired++;
            }
        }
        int restoredObservations = 0;
        for (Observation observation : jdbc.query("SELECT body FROM lwm2m_observations", row -> {
            try {
                return RegistrationJson.readObservation(row.getString("body"));
            } catch (RuntimeException e) {
                LOG.warn("stored observation not readable reason={}", e.getMessage());
                return null;
            }
        })) {
            if (observation != null && byId.containsKey(observation.getRegistrationId())) {
                indexObservation(observation);
                restoredObservations++;
            }
        }
        loaded = List.copyOf(alive);
        LOG.info("registrations restored: {} alive, {} expired while the server was down (expire now); {} observations",
                alive.size(), expired, restoredObservations);
    }

    /** The registrations {@link #load} found still alive: their devices are online as they were before the stop. */
    public List<Registration> restored() {
        return loaded;
    }

    // ---- registrations ---------------------------------------------------------------------------------------------

    @Override
    public Deregistration addRegistration(Registration registration) {
        synchronized (stripe(registration.getEndpoint())) {
            Registration previous = byEndpoint.get(registration.getEndpoint());
            String body = RegistrationJson.write(registration);
            jdbc.inTransaction(() -> {
                // The endpoint's previous registration goes with its observations (ON DELETE CASCADE).
                jdbc.update("DELETE FROM lwm2m_registrations WHERE endpoint = ? OR registration_id = ?",
                        registration.getEndpoint(), registration.getId());
                jdbc.update("INSERT INTO lwm2m_registrations (registration_id, endpoint, last_update, lifetime_s,"
                        + " body) VALUES (?, ?, ?, ?, ?)", registration.getId(), registration.getEndpoint(),
                        registration.getLastUpdate().toInstant(), registration.getLifeTimeInSec(), body);
                return null;
            });
            if (previous == null) {
                index(registration);
                return null;
            }
            refreshes.remove(previous.getId());
            // The new one first: readers never see the endpoint without a registration. Unindexing removes only
            // the entries that still point at the previous one.
            index(registration);
            return new Deregistration(previous, unindex(previous));
        }
    }

    @Override
    public UpdatedRegistration updateRegistration(RegistrationUpdate update) {
        Registration current = byId.get(update.getRegistrationId());
        if (current == null) {
            return null;
        }
        synchronized (stripe(current.getEndpoint())) {
            current = byId.get(update.getRegistrationId());
            if (current == null) {
                return null;
            }
            Registration updated = update.update(current);
            if (refreshOnly(current, updated)) {
                refreshes.put(updated.getId(), updated);
            } else {
                String body = RegistrationJson.write(updated);
                Registration stored = updated;
                int rows = jdbc.update("UPDATE lwm2m_registrations SET last_update = ?, lifetime_s = ?, body = ?"
                        + " WHERE registration_id = ?", stored.getLastUpdate().toInstant(),
                        stored.getLifeTimeInSec(), body, stored.getId());
                if (rows == 0) {
                    LOG.warn("registration row missing, stored again endpoint={} id={}", stored.getEndpoint(),
                            stored.getId());
                    jdbc.update("INSERT INTO lwm2m_registrations (registration_id, endpoint, last_update, lifetime_s,"
                            + " body) VALUES (?, ?, ?, ?, ?)", stored.getId(), stored.getEndpoint(),
                            stored.getLastUpdate().toInstant(), stored.getLifeTimeInSec(), body);
                }
                refreshes.remove(updated.getId());
            }
            reindex(current, updated);
            return new UpdatedRegistration(current, updated);
        }
    }

    /**
     * Whether an update changed nothing but the last-update time and the lifetime: then losing it in a crash costs
     * at most an earlier expiry, and it can wait for the next batch.
     */
    static boolean refreshOnly(Registration before, Registration after) {
        return new Registration.Builder(after).lastUpdate(before.getLastUpdate())
                .lifeTimeInSec(before.getLifeTimeInSec()).build().equals(before);
    }

    @Override
    public Registration getRegistration(String registrationId) {
        return byId.get(registrationId);
    }

    @Override
    public Registration getRegistrationByEndpoint(String endpoint) {
        return byEndpoint.get(endpoint);
    }

    @Override
    public Registration getRegistrationByAdress(InetSocketAddress address) {
        return byAddress.get(address);
    }

    @Override
    public Registration getRegistrationByIdentity(LwM2mIdentity identity) {
        return byIdentity.get(identity);
    }

    @Override
    public Iterator<Registration> getAllRegistrations() {
        return new ArrayList<>(byEndpoint.values()).iterator();
    }

    @Override
    public Deregistration removeRegistration(String registrationId) {
        Registration registration = byId.get(registrationId);
        if (registration == null) {
            return null;
        }
        synchronized (stripe(registration.getEndpoint())) {
            registration = byId.get(registrationId);
            if (registration == null) {
                return null;
            }
            jdbc.update("DELETE FROM lwm2m_registrations WHERE registration_id = ?", registrationId);
            refreshes.remove(registrationId);
            return new Deregistration(registration, unindex(registration));
        }
    }

    // ---- observations ----------------------------------------------------------------------------------------------

    @Override
    public Collection<Observation> addObservation(String registrationId, Observation observation,
            boolean addIfAbsent) {
        Registration registration = byId.get(registrationId);
        if (registration == null) {
            throw new IllegalStateException("no registration " + registrationId + " to add an observation to");
        }
        synchronized (stripe(registration.getEndpoint())) {
            if (!byId.containsKey(registrationId)) {
                throw new IllegalStateException("no registration " + registrationId + " to add an observation to");
            }
            ObservationIdentifier id = observation.getId();
            Observation previous = observations.get(id);
            boolean store = !addIfAbsent || previous == null;
            // As Leshan's own store: the observation replaces any other of the same registration on the same paths.
            List<Observation> samePaths = new ArrayList<>();
            for (Observation other : observationsOf(registrationId)) {
                if (!other.getId().equals(id) && samePaths(observation, other)) {
                    samePaths.add(other);
                }
            }
            jdbc.inTransaction(() -> {
                if (store) {
                    deleteRow(id);
                    jdbc.update("INSERT INTO lwm2m_observations (endpoint_uri, token, registration_id, body)"
                            + " VALUES (?, ?, ?, ?)", RegistrationJson.endpointUriText(id.getEndpointUri()),
                            RegistrationJson.token(id), registrationId, RegistrationJson.write(observation));
                }
                for (Observation other : samePaths) {
                    deleteRow(other.getId());
                }
                return null;
            });
            List<Observation> removed = new ArrayList<>();
            if (previous != null) {
                removed.add(previous);
                if (store) {
                    unindexObservation(id);
                }
                LOG.warn("token collision: observation {} replaced by {}", previous, observation);
            }
            if (store) {
                indexObservation(observation);
            }
            for (Observation other : samePaths) {
                unindexObservation(other.getId());
                removed.add(other);
            }
            return removed;
        }
    }

    @Override
    public Observation removeObservation(String registrationId, ObservationIdentifier observationId) {
        Observation observation = observations.get(observationId);
        Registration registration = byId.get(registrationId);
        if (observation == null || registration == null || !registrationId.equals(observation.getRegistrationId())) {
            return null;
        }
        synchronized (stripe(registration.getEndpoint())) {
            observation = observations.get(observationId);
            if (observation == null || !registrationId.equals(observation.getRegistrationId())) {
                return null;
            }
            deleteRow(observationId);
            unindexObservation(observationId);
            return observation;
        }
    }

    @Override
    public Observation getObservation(String registrationId, ObservationIdentifier observationId) {
        Observation observation = observations.get(observationId);
        return observation != null && registrationId.equals(observation.getRegistrationId()) ? observation : null;
    }

    @Override
    public Observation getObservation(ObservationIdentifier observationId) {
        return observations.get(observationId);
    }

    @Override
    public Collection<Observation> getObservations(String registrationId) {
        return observationsOf(registrationId);
    }

    @Override
    public Collection<Observation> removeObservations(String registrationId) {
        Registration registration = byId.get(registrationId);
        if (registration == null) {
            return List.of();
        }
        synchronized (stripe(registration.getEndpoint())) {
            jdbc.update("DELETE FROM lwm2m_observations WHERE registration_id = ?", registrationId);
            List<Observation> removed = observationsOf(registrationId);
            removed.forEach(o -> unindexObservation(o.getId()));
            return removed;
        }
    }

    private void deleteRow(ObservationIdentifier id) {
        jdbc.update("DELETE FROM lwm2m_observations WHERE endpoint_uri = ? AND token = ?",
                RegistrationJson.endpointUriText(id.getEndpointUri()), RegistrationJson.token(id));
    }

    private static boolean samePaths(Observation a, Observation b) {
        if (a instanceof SingleObservation single && b instanceof SingleObservation other) {
            return single.getPath().equals(other.getPath());
        }
        if (a instanceof CompositeObservation composite && b instanceof CompositeObservation other) {
            return composite.getPaths().equals(other.getPaths());
        }
        return false;
    }

    // ---- expiry and refreshes --------------------------------------------------------------------------------------

    @Override
    public void setExpirationListener(ExpirationListener listener) {
        this.expirationListener = listener;
    }

    /** Leshan starts the store with the server: the first sweep runs at once (what expired while down). */
    @Override
    public synchronized void start() {
        if (scheduler == null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(THREAD_NAME));
        }
        if (cleaner == null) {
            cleaner = scheduler.scheduleAtFixedRate(this::expire, 0, cleanupPeriod.toMillis(), TimeUnit.MILLISECONDS);
            refresher = scheduler.scheduleWithFixedDelay(this::storeRefreshesLogged, REFRESH_PERIOD.toMillis(),
                    REFRESH_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Stops the sweeps and stores the refreshes still waiting: a graceful stop loses nothing. */
    @Override
    public synchronized void stop() {
        if (cleaner != null) {
            cleaner.cancel(false);
            refresher.cancel(false);
            cleaner = null;
            refresher = null;
        }
        storeRefreshesLogged();
    }

    @Override
    public synchronized void destroy() {
        stop();
        if (scheduler != null) {
            scheduler.shutdown();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void expire() {
        try {
            for (Registration registration : new ArrayList<>(byEndpoint.values())) {
                if (registration.isAlive()) {
                    continue;
                }
                Deregistration removed = removeRegistration(registration.getId());
                ExpirationListener listener = expirationListener;
                if (removed != null && listener != null) {
                    listener.registrationExpired(removed.getRegistration(), removed.getObservations());
                }
            }
        } catch (RuntimeException e) {
            // The next sweep tries again: an expired registration stays until its row is gone.
            LOG.warn("registration expiry sweep failed: {}", e.toString());
        }
    }

    private void storeRefreshesLogged() {
        try {
            storeRefreshes();
        } catch (RuntimeException e) {
            LOG.warn("registration refreshes not stored, kept for the next try: {}", e.toString());
        }
    }

    /** Writes the waiting refreshes, newest per registration; a refresh older than the stored row changes nothing. */
    void storeRefreshes() {
        List<Registration> batch = new ArrayList<>();
        for (Map.Entry<String, Registration> entry : refreshes.entrySet()) {
            if (refreshes.remove(entry.getKey(), entry.getValue())) {
                batch.add(entry.getValue());
            }
            if (batch.size() == REFRESH_BATCH) {
                writeRefreshes(batch);
                batch = new ArrayList<>();
            }
        }
        writeRefreshes(batch);
    }

    private void writeRefreshes(List<Registration> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>(batch.size());
        for (Registration registration : batch) {
            Instant lastUpdate = registration.getLastUpdate().toInstant();
            rows.add(new Object[] { lastUpdate, registration.getLifeTimeInSec(), registration.getId(), lastUpdate });
        }
        try {
            jdbc.batch("UPDATE lwm2m_registrations SET last_update = ?, lifetime_s = ? WHERE registration_id = ?"
                    + " AND last_update <= ?", rows);
        } catch (RuntimeException e) {
            // Put back what no newer refresh replaced meanwhile.
            batch.forEach(registration -> refreshes.putIfAbsent(registration.getId(), registration));
            throw e;
        }
    }

    // ---- the maps --------------------------------------------------------------------------------------------------

    private Object stripe(String endpoint) {
        return stripes[Math.floorMod(endpoint.hashCode(), STRIPES)];
    }

    private void index(Registration registration) {
        byId.put(registration.getId(), registration);
        byEndpoint.put(registration.getEndpoint(), registration);
        // Two devices behind one NAT address: the most recent binding wins, as in Leshan's store.
        byAddress.put(registration.getSocketAddress(), registration);
        byIdentity.put(registration.getClientTransportData().getIdentity(), registration);
    }

    private void reindex(Registration before, Registration after) {
        index(after);
        if (!before.getSocketAddress().equals(after.getSocketAddress())) {
            byAddress.remove(before.getSocketAddress(), before);
        }
        if (!before.getClientTransportData().getIdentity().equals(after.getClientTransportData().getIdentity())) {
            byIdentity.remove(before.getClientTransportData().getIdentity(), before);
        }
    }

    /** Drops a registration from the maps, with its observations, which are returned. */
    private Collection<Observation> unindex(Registration registration) {
        byId.remove(registration.getId(), registration);
        byEndpoint.remove(registration.getEndpoint(), registration);
        byAddress.remove(registration.getSocketAddress(), registration);
        byIdentity.remove(registration.getClientTransportData().getIdentity(), registration);
        List<Observation> removed = observationsOf(registration.getId());
        removed.forEach(o -> unindexObservation(o.getId()));
        observationsOf.remove(registration.getId());
        return removed;
    }

    private void indexObservation(Observation observation) {
        observations.put(observation.getId(), observation);
        observationsOf.computeIfAbsent(observation.getRegistrationId(), id -> ConcurrentHashMap.newKeySet())
                .add(observation.getId());
    }

    private void unindexObservation(ObservationIdentifier id) {
        Observation removed = observations.remove(id);
        if (removed != null) {
            observationsOf.computeIfPresent(removed.getRegistrationId(), (registration, ids) -> {
                ids.remove(id);
                return ids.isEmpty() ? null : ids;
            });
        }
    }

    private List<Observation> observationsOf(String registrationId) {
        Set<ObservationIdentifier> ids = observationsOf.get(registrationId);
        List<Observation> result = new ArrayList<>();
        if (ids != null) {
            for (ObservationIdentifier id : ids) {
                Observation observation = observations.get(id);
                if (observation != null && Objects.equals(observation.getRegistrationId(), registrationId)) {
                    result.add(observation);
                }
            }
        }
        return result;
    }
}
