package org.lwm2mfleet.server.device;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.store.DataAccessException;
import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.runtime.DaemonThreads;
import org.lwm2mfleet.server.runtime.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device registry: provisioning (identity, credentials, tags, label) and the registration facts that the
 * protocol side reports. Registration facts are written on one registry thread, in arrival order, so the CoAP threads
 * never wait on the database.
 */
public final class DeviceService implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceService.class);

    /** Endpoint names appear in URLs, logs and certificates: letters, digits and a few URN-friendly signs. */
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9._:@+\\-]{1,255}");
    /** A tag: what provisioning and bulk tagging both accept. */
    static final Pattern TAG = Pattern.compile("[A-Za-z0-9._:\\-]{1,64}");
    private static final int MAX_TAGS = 32;
    public static final int MAX_PAGE = 500;
    /** Devices of a bulk provisioning stored in one transaction. */
    private static final int BULK_CHUNK = 500;

    private final DeviceRepository repository;
    private final EventBus events;
    private final Clock clock;
    private final List<CredentialsListener> credentialsListeners = new CopyOnWriteArrayList<>();
    /** The rooms whose rows of a device go in the same transaction as the device's own row. */
    private final List<DeviceDataOwner> dataOwners = new CopyOnWriteArrayList<>();
    private volatile LiveRegistrations liveRegistrations = endpoint -> {
    };
    private final Scheduler scheduler;
    private final Duration unknownExpiry;
    private final Duration cleanupPeriod;
    private final List<Scheduler.Task> tasks = new CopyOnWriteArrayList<>();
    /**
     * Its own thread, not the shared scheduler: facts are written in arrival order, one batch at a time. The thread
     * starts with the first fact, which only comes once Leshan has started.
     */
    private final ExecutorService registryWriter = Executors.newSingleThreadExecutor(DaemonThreads.named("registry-writer"));
    /** Registration facts waiting for the registry writer, in arrival order. */
    private final Queue<Fact> facts = new ConcurrentLinkedQueue<>();
    /** Whether a drain of {@link #facts} is scheduled or running: at most one at a time. */
    private final AtomicBoolean draining = new AtomicBoolean();
    private static final int MAX_BATCH = 1000;

    private final CertificateCheck certificates;
    /** How each device's DTLS session was established, in memory (see DeviceSessions). */
    private final DeviceSessions sessions;

    /**
     * @param certificates what an uploaded device certificate must be (the CAs of --trusted-certificates)
     * @param unknownExpiry how long an unprovisioned device may stay offline before it is removed
     * @param cleanupPeriod how often that is looked for
     */
    public DeviceService(Jdbc jdbc, EventBus events, Clock clock, CertificateCheck certificates, Scheduler scheduler,
            Duration unknownExpiry, Duration cleanupPeriod) {
        this.repository = new DeviceRepository(jdbc);
        this.events = events;
        this.clock = clock;
        this.certificates = certificates;
        this.scheduler = scheduler;
        this.unknownExpiry = unknownExpiry;
        this.cleanupPeriod = cleanupPeriod;
        this.sessions = new DeviceSessions(clock);
    }

    /** How each device's DTLS session was established (written by the DTLS side, read by the views). */
    public DeviceSessions sessions() {
        return sessions;
    }

    /** Marks everyone offline and schedules the clean-up of what an open plain-CoAP port let in. */
    @Override
    public void start() {
        markAllOffline();
        scheduleUnprovisionedCleanup(unknownExpiry, cleanupPeriod);
    }

    public void addCredentialsListener(CredentialsListener listener) {
        credentialsListeners.add(listener);
    }

    /** Registered at wiring time: each owner's rows are deleted in the transaction that deletes the device. */
    public void addDataOwner(DeviceDataOwner owner) {
        dataOwners.add(owner);
    }

    public void setLiveRegistrations(LiveRegistrations liveRegistrations) {
        this.liveRegistrations = liveRegistrations;
    }

    /**
     * At start, before the registrations kept across the restart are {@link #restored}: every other device is offline
     * until it registers.
     */
    public void markAllOffline() {
        int changed = repository.markAllOffline();
        if (changed > 0) {
            LOG.info("{} devices marked offline until they register again or their kept registration is restored",
                    changed);
        }
    }

    /** Every device's credentials, to fill the in-memory security store at start. */
    public Map<String, Credentials> allCredentials() {
        return repository.allCredentials();
    }

    // ---- provisioning ----------------------------------------------------------------------------------------------

    public Device provision(NewDevice device) {
        NewDevice valid = validate(device);
        certificates.check(valid.endpoint(), valid.credentials());
        provisionValid(valid);
        return get(valid.endpoint());
    }

    /** Stores a validated device in its own transaction, then tells the rest of the server. */
    private void provisionValid(NewDevice valid) {
        try {
            repository.jdbc().inTransaction(() -> {
                insert(valid);
                return null;
            });
        } catch (DataAccessException e) {
            // Two requests raced past the checks in insert; the constraint decided.
            if (e.isUniqueViolation()) {
                throw new FleetException(ProblemType.CONFLICT, "endpoint",
                        "endpoint or PSK identity of '" + valid.endpoint() + "' is already taken");
            }
            throw e;
        }
        provisioned(valid);
    }

    /** Inside the caller's transaction: the device's rows, unless its endpoint or PSK identity is taken. */
    private void insert(NewDevice valid) {
        if (repository.exists(valid.endpoint())) {
            throw new FleetException(ProblemType.CONFLICT, "endpoint",
                    "a device with endpoint '" + valid.endpoint() + "' already exists");
        }
        checkPskIdentityFree(valid.endpoint(), valid.credentials());
        repository.insert(valid, clock.instant());
    }

    /** After the commit: the DTLS side learns the credentials, the log and the event stream the device. */
    private void provisioned(NewDevice valid) {
        notifyCredentials(valid.endpoint(), valid.credentials());
        LOG.info("device provisioned endpoint={} credentials={}{}", valid.endpoint(), valid.credentials().kind(),
                pinned(valid.credentials()));
        events.publish(EventTypes.PROVISIONED, valid.endpoint(), Map.of("credentials", valid.credentials().kind()));
    }

    /** Provisions each row on its own: one bad row is reported and the others still go in. */
    public BulkResult provisionAll(List<Supplier<NewDevice>> rows) {
        BulkResult.Row[] results = new BulkResult.Row[rows.size()];
        List<Integer> valid = new ArrayList<>();
        List<NewDevice> devices = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String endpoint = null;
            try {
                NewDevice device = rows.get(i).get();
                endpoint = device.endpoint();
                NewDevice checked = validate(device);
                certificates.check(checked.endpoint(), checked.credentials());
                valid.add(i);
                devices.add(checked);
            } catch (FleetException e) {
                results[i] = new BulkResult.Row(i + 1, endpoint, "rejected", e.field(), e.getMessage());
            }
        }
        // Valid rows are stored BULK_CHUNK to a transaction: every commit is written to disk before it returns, and
        // 10,000 of them one by one take long. A chunk that fails (a duplicate, a race) is stored row by row.
        for (int from = 0; from < devices.size(); from += BULK_CHUNK) {
            List<NewDevice> chunk = devices.subList(from, Math.min(devices.size(), from + BULK_CHUNK));
            boolean stored;
            try {
                repository.jdbc().inTransaction(() -> {
                    chunk.forEach(this::insert);
                    return null;
                });
                stored = true;
            } catch (FleetException | DataAccessException e) {
                stored = false;
            }
            for (int j = 0; j < chunk.size(); j++) {
                int row = valid.get(from + j);
                NewDevice device = chunk.get(j);
                try {
                    if (stored) {
                        provisioned(device);
                    } else {
                        provisionValid(device);
                    }
                    results[row] = new BulkResult.Row(row + 1, device.endpoint(), "created", null, null);
                } catch (FleetException e) {
                    results[row] = new BulkResult.Row(row + 1, device.endpoint(), "rejected", e.field(),
                            e.getMessage());
                }
            }
        }
        int created = (int) java.util.Arrays.stream(results).filter(r -> r.status().equals("created")).count();
        return new BulkResult(created, rows.size() - created, List.of(results));
    }

    public Device replaceCredentials(String endpoint, Credentials credentials) {
        if (credentials == null) {
            throw FleetException.invalid("credentials", "is required");
        }
        repository.jdbc().inTransaction(() -> {
            if (!repository.exists(endpoint)) {
                throw FleetException.notFound("no device with endpoint '" + endpoint + "'");
            }
            certificates.check(endpoint, credentials);
            checkPskIdentityFree(endpoint, credentials);
            repository.updateCredentials(endpoint, credentials);
            return null;
        });
        notifyCredentials(endpoint, credentials);
        LOG.info("credentials replaced endpoint={} credentials={}{}", endpoint, credentials.kind(),
                pinned(credentials));
        return get(endpoint);
    }

    /**
     * Deletes the device and, in the same transaction, what every {@link DeviceDataOwner} holds for it: all of it or,
     * when any part fails, nothing (the failure reaches the caller). The {@code deleted} event follows the commit.
     */
    public void delete(String endpoint) {
        if (!deleteWithData(endpoint, () -> repository.delete(endpoint))) {
            throw FleetException.notFound("no device with endpoint '" + endpoint + "'");
        }
        deleted(endpoint);
    }

    /** @param deleteRow deletes the device's row, true when it did; the owners are only asked when it did */
    private boolean deleteWithData(String endpoint, java.util.function.BooleanSupplier deleteRow) {
        return repository.jdbc().inTransaction(() -> {
            if (!deleteRow.getAsBoolean()) {
                return false;
            }
            for (DeviceDataOwner owner : dataOwners) {
                owner.deleteAllOf(endpoint);
            }
            return true;
        });
    }

    /**
     * Removes the devices that registered without being provisioned and have been offline, unheard of, for longer
     * than {@code expiry}: what an open plain-CoAP port collects (typos, scanners, a one-off test) does not stay for
     * ever. A device provisioned over REST, or whose credentials were set over REST, is never removed this way.
     *
     * @return how many were removed
     */
    public int removeStaleUnprovisioned(Duration expiry) {
        Instant cutoff = clock.instant().minus(expiry);
        int removed = 0;
        List<String> stale;
        do {
            stale = repository.staleUnprovisioned(cutoff, 500);
            for (String endpoint : stale) {
                if (deleteWithData(endpoint, () -> repository.deleteIfStaleUnprovisioned(endpoint, cutoff))) {
                    deleted(endpoint);
                    removed++;
                }
            }
        } while (stale.size() == 500);
        if (removed > 0) {
            LOG.info("{} unprovisioned devices offline for more than {} removed", removed, expiry);
        }
        return removed;
    }

    /** Runs {@link #removeStaleUnprovisioned} every {@code period} until {@link #close}. */
    private void scheduleUnprovisionedCleanup(Duration expiry, Duration period) {
        tasks.add(scheduler.now("unaddressable-devices", () -> {
            try {
                markUnaddressable();
            } catch (RuntimeException e) {
                LOG.warn("looking for devices with names REST cannot address failed", e);
            }
        }));
        tasks.add(scheduler.every("unprovisioned-cleanup", period, period, () -> {
            try {
                removeStaleUnprovisioned(expiry);
            } catch (RuntimeException e) {
                LOG.warn("removing stale unprovisioned devices failed, will retry", e);
            }
        }));
    }

    /**
     * Devices stored before registrations were held to the name rule (a {@code ../} or a line break in the name)
     * cannot be deleted over REST: marked unprovisioned, they go like any unknown device that stays offline.
     */
    void markUnaddressable() {
        List<String> unaddressable = repository.allEndpoints().stream().filter(e -> endpointProblem(e) != null)
                .toList();
        if (!unaddressable.isEmpty()) {
            repository.markUnprovisioned(unaddressable);
            LOG.warn("{} devices have names REST cannot address; they are removed once offline for the unknown-device"
                    + " expiry", unaddressable.size());
        }
    }

    /**
     * What follows a committed deletion: its credentials and its live registration go, and the other rooms hear of
     * it (what they hold in memory; their rows went in the deletion's transaction).
     */
    private void deleted(String endpoint) {
        notifyCredentials(endpoint, null);
        liveRegistrations.drop(endpoint);
        LOG.info("device deleted endpoint={}", endpoint);
        events.publish(EventTypes.DELETED, endpoint, Map.of());
    }

    /** What {@link #retag} did: how many devices it changed, and the endpoints that do not exist. */
    public record RetagResult(int updated, List<String> missing) {
    }

    /** Adds and removes tags on many devices at once, all or nothing; endpoints that do not exist are listed. */
    public RetagResult retag(List<String> endpoints, List<String> add, List<String> remove) {
        List<String> missing = repository.retag(endpoints, add, remove, MAX_TAGS);
        return new RetagResult(endpoints.size() - missing.size(), missing);
    }

    // ---- queries ---------------------------------------------------------------------------------------------------

    public Device get(String endpoint) {
        return repository.find(endpoint)
                .orElseThrow(() -> FleetException.notFound("no device with endpoint '" + endpoint + "'"));
    }

    public DevicePage list(DeviceQuery query) {
        if (query.limit() < 1 || query.limit() > MAX_PAGE) {
            throw FleetException.invalid("limit", "must be between 1 and " + MAX_PAGE);
        }
        return repository.list(query);
    }

    public Map<DeviceStatus, Long> countByStatus() {
        return repository.countByStatus();
    }

    // ---- registration facts, reported by the protocol side ---------------------------------------------------------

    /**
     * A device registered. Unknown endpoints only get here when plain CoAP from unknown devices is allowed; they are
     * added to the registry as devices without security.
     */
    public void registered(String endpoint, DeviceRegistration registration) {
        submit(new RegistrationFact(endpoint, registration, true, EventTypes.REGISTERED));
    }

    /** A registration the server kept across a restart: its facts are written again, and no event is published. */
    public void restored(String endpoint, DeviceRegistration registration) {
        submit(new RegistrationFact(endpoint, registration, false, null));
    }

    /** @param objectsChanged whether the update carried new object links */
    public void updated(String endpoint, DeviceRegistration registration, boolean objectsChanged) {
        submit(new RegistrationFact(endpoint, registration, objectsChanged, EventTypes.UPDATED));
    }

    public void unregistered(String endpoint, String registrationId, boolean expired) {
        submit(new StatusFact(endpoint, registrationId, DeviceStatus.OFFLINE,
                expired ? EventTypes.EXPIRED : EventTypes.DEREGISTERED));
    }

    public void presence(String endpoint, String registrationId, boolean sleeping) {
        submit(new StatusFact(endpoint, registrationId, sleeping ? DeviceStatus.SLEEPING : DeviceStatus.ONLINE,
                sleeping ? EventTypes.SLEEPING : EventTypes.AWAKE));
    }

    /** What the protocol side reported about one device, waiting for the registry writer. */
    private sealed interface Fact permits RegistrationFact, StatusFact {
        String endpoint();

        String event();

        Map<String, Object> eventData();
    }

    private record RegistrationFact(String endpoint, DeviceRegistration registration, boolean objectsChanged,
            String event) implements Fact {
        @Override
        public Map<String, Object> eventData() {
            Map<String, Object> data = registrationData(registration);
            if (EventTypes.UPDATED.equals(event)) {
                // The console redraws a device's object tree when an update announces other objects (after a create).
                data.put("objectsChanged", objectsChanged);
            }
            return data;
        }
    }

    private record StatusFact(String endpoint, String registrationId, DeviceStatus status, String event)
            implements Fact {
        @Override
        public Map<String, Object> eventData() {
            return Map.of("registrationId", registrationId);
        }
    }

    private void submit(Fact fact) {
        facts.add(fact);
        if (draining.compareAndSet(false, true)) {
            registryWriter.execute(this::drain);
        }
    }

    /**
     * Writes what has arrived since the last time, up to {@value #MAX_BATCH} facts, in one transaction of statement
     * batches, then tells the subscribers in arrival order. A registration storm then costs a few statements per
     * hundred devices instead of a few per device.
     */
    private void drain() {
        try {
            List<Fact> batch = new ArrayList<>();
            Fact fact;
            while (batch.size() < MAX_BATCH && (fact = facts.poll()) != null) {
                batch.add(fact);
            }
            List<Fact> written = write(batch);
            for (Fact done : written) {
                if (done.event() == null) {
                    continue; // restored at start: nothing to tell
                }
                events.publish(done.event(), done.endpoint(), done.eventData());
            }
        } finally {
            draining.set(false);
            if (!facts.isEmpty() && draining.compareAndSet(false, true)) {
                registryWriter.execute(this::drain);
            }
        }
    }

    /** @return the facts written (all, unless the batch failed and some failed again one by one) */
    private List<Fact> write(List<Fact> batch) {
        try {
            repository.jdbc().inTransaction(() -> {
                writeInOrder(batch);
                return null;
            });
            return batch;
        } catch (RuntimeException e) {
            LOG.warn("registry batch of {} facts failed, writing them one by one", batch.size(), e);
            List<Fact> written = new ArrayList<>();
            for (Fact fact : batch) {
                try {
                    repository.jdbc().inTransaction(() -> {
                        writeInOrder(List.of(fact));
                        return null;
                    });
                    written.add(fact);
                } catch (RuntimeException single) {
                    LOG.error("registration facts of endpoint={} not recorded", fact.endpoint(), single);
                }
            }
            return written;
        }
    }

    /** Consecutive facts of one kind go in one batch; the kinds keep their order (a status after a registration). */
    private void writeInOrder(List<Fact> batch) {
        int from = 0;
        while (from < batch.size()) {
            boolean registrations = batch.get(from) instanceof RegistrationFact;
            int to = from;
            while (to < batch.size() && (batch.get(to) instanceof RegistrationFact) == registrations) {
                to++;
            }
            List<Fact> run = batch.subList(from, to);
            if (registrations) {
                writeRegistrations(run);
            } else {
                repository.recordStatuses(run.stream().map(f -> (StatusFact) f)
                        .map(f -> new Object[] { f.status().name(), f.endpoint(), f.registrationId() }).toList());
            }
            from = to;
        }
    }

    private void writeRegistrations(List<Fact> run) {
        List<Map.Entry<String, DeviceRegistration>> registrations = new ArrayList<>(run.size());
        // An endpoint's latest registration in the run that announced objects: an earlier one's are replaced anyway.
        Map<String, DeviceRegistration> announcing = new LinkedHashMap<>();
        for (Fact fact : run) {
            RegistrationFact registration = (RegistrationFact) fact;
            registrations.add(Map.entry(registration.endpoint(), registration.registration()));
            if (registration.objectsChanged()) {
                announcing.put(registration.endpoint(), registration.registration());
            }
        }
        // What they announced before (read before the rows take the new links): a device that reconnects with the
        // same objects, as a fleet does after an outage, costs no object rows; one never registered, no delete.
        Map<String, String> linksBefore = repository.objectLinks(announcing.keySet());
        Map<String, List<DeviceRegistration.AnnouncedObject>> objects = new LinkedHashMap<>();
        announcing.forEach((endpoint, registration) -> {
            if (!registration.objectLinks().equals(linksBefore.get(endpoint))) {
                objects.put(endpoint, registration.objects());
            }
        });
        boolean[] found = repository.recordRegistrations(registrations);
        List<Map.Entry<String, DeviceRegistration>> unknown = new ArrayList<>();
        for (int i = 0; i < found.length; i++) {
            if (!found[i]) {
                String endpoint = registrations.get(i).getKey();
                repository.insertIfAbsent(endpoint, clock.instant());
                LOG.info("unprovisioned device added to the registry endpoint={}", endpoint);
                unknown.add(registrations.get(i));
            }
        }
        repository.recordRegistrations(unknown);
        repository.replaceObjects(objects, linksBefore.keySet());
    }

    @Override
    public void close() throws InterruptedException {
        tasks.forEach(Scheduler.Task::close);
        registryWriter.shutdown();
        registryWriter.awaitTermination(5, TimeUnit.SECONDS);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private void checkPskIdentityFree(String endpoint, Credentials credentials) {
        if (credentials instanceof Credentials.Psk psk && repository.pskIdentityTaken(psk.identity(), endpoint)) {
            throw new FleetException(ProblemType.CONFLICT, "credentials.identity",
                    "PSK identity '" + psk.identity() + "' belongs to another device");
        }
    }

    /** For the log: which certificate was pinned (its fingerprint is public, like the certificate). */
    private static String pinned(Credentials credentials) {
        return credentials instanceof Credentials.X509 x509 && x509.pinned()
                ? " pinned-certificate-sha256=" + x509.certificate().sha256()
                : "";
    }

    private void notifyCredentials(String endpoint, Credentials credentials) {
        // Changed credentials close the device's sessions; a deleted device has none.
        sessions.forget(endpoint);
        for (CredentialsListener listener : credentialsListeners) {
            listener.credentialsChanged(endpoint, credentials);
        }
    }

    /**
     * What is wrong with an endpoint name, or null when it is one the registry takes: the rule for names given over
     * REST and for names that devices register with. A name of dots only would be a path segment that URLs
     * normalise away, so the device could never be addressed (nor deleted) over REST.
     */
    public static String endpointProblem(String endpoint) {
        if (endpoint == null || !ENDPOINT.matcher(endpoint).matches() || endpoint.chars().allMatch(c -> c == '.')) {
            return "must be 1 to 255 characters of letters, digits and . _ : @ + -, not only dots";
        }
        return null;
    }

    private static NewDevice validate(NewDevice device) {
        if (device.endpoint() == null || device.endpoint().isBlank()) {
            throw FleetException.invalid("endpoint", "is required");
        }
        String endpointProblem = endpointProblem(device.endpoint());
        if (endpointProblem != null) {
            throw FleetException.invalid("endpoint", endpointProblem);
        }
        if (device.credentials() == null) {
            throw FleetException.invalid("credentials", "is required");
        }
        List<String> tags = device.tags() == null ? List.of() : device.tags();
        if (tags.size() > MAX_TAGS) {
            throw FleetException.invalid("tags", "at most " + MAX_TAGS + " tags");
        }
        for (String tag : tags) {
            if (tag == null || !TAG.matcher(tag).matches()) {
                throw FleetException.invalid("tags", "tag '" + tag + "' must be 1 to 64 letters, digits or . _ : -");
            }
        }
        if (device.label() != null && device.label().length() > 255) {
            throw FleetException.invalid("label", "is longer than 255 characters");
        }
        return new NewDevice(device.endpoint(), device.credentials(), List.copyOf(new LinkedHashSet<>(tags)),
                device.label());
    }

    private static Map<String, Object> registrationData(DeviceRegistration registration) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("registrationId", registration.registrationId());
        data.put("lwm2mVersion", registration.lwm2mVersion());
        data.put("binding", registration.binding());
        data.put("queueMode", registration.queueMode());
        data.put("lifetime", registration.lifetime().toSeconds());
        data.put("peerAddress", registration.peerAddress());
        data.put("securityMode", registration.securityMode());
        return data;
    }
}
