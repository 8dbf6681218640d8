package org.lwm2mfleet.sim.objects;

import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Function;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.option.BlockOption;
import org.eclipse.californium.core.network.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firmware Update (5), for real: Package URI (/5/0/1) starts a block-wise download of the actual bytes over the
 * device's own CoAP or CoAP-over-DTLS endpoint, checked against the SHA-256 the URI carries; Package (/5/0/0)
 * takes a pushed image; Update (/5/0/2) installs it and reboots, after which Device (/3/0/3) reports the new version.
 * State (/5/0/3) and Update Result (/5/0/5) move as the specification says.
 */
public final class FirmwareUpdateObject extends SimulatedInstance {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareUpdateObject.class);

    public static final int IDLE = 0, DOWNLOADING = 1, DOWNLOADED = 2, UPDATING = 3;
    public static final int RESULT_INITIAL = 0, RESULT_SUCCESS = 1, RESULT_NOT_ENOUGH_FLASH = 2,
            RESULT_CONNECTION_LOST = 4, RESULT_INTEGRITY_FAILED = 5, RESULT_INVALID_URI = 7, RESULT_UPDATE_FAILED = 8;

    private final Executor worker;
    private final Function<URI, Endpoint> endpointFor;
    private final DeviceObject device;
    private volatile Runnable reboot = () -> {
    };
    private volatile int state = IDLE;
    private volatile int result = RESULT_INITIAL;
    private volatile String packageUri = "";
    private volatile String packageVersion = "";
    private volatile byte[] image;
    private volatile FirmwareFailure failure = FirmwareFailure.NONE;
    private volatile int deliveryMethod = 2; // pull and push
    /** Firmware Update Protocol Support (/5/0/8): 0 CoAP, 1 CoAPS (RFC 7252 / DTLS). */
    private volatile Map<Integer, Long> protocols = Map.of(0, 0L, 1, 1L);
    /** Block2 size exponent 5: 512-byte blocks, which fit a DTLS record on any link. */
    private static final int BLOCK_SZX = 5;
    private static final int BLOCK_SIZE = 512;
    private volatile byte[] partial;
    private volatile String partialSha256;
    private volatile int resumedAtBlock;
    private volatile java.util.concurrent.CompletableFuture<Void> downloadedGate;
    private volatile boolean holdingDownloaded;

    /**
     * @param worker where downloads and installs run (never the CoAP thread that received the request)
     * @param endpointFor the device's Californium endpoint for a server URI, or null when it has none
     */
    public FirmwareUpdateObject(Executor worker, Function<URI, Endpoint> endpointFor, DeviceObject device) {
        super(0);
        this.worker = worker;
        this.endpointFor = endpointFor;
        this.device = device;
        writable(0, () -> new byte[0], value -> accept((byte[]) value, null));
        writable(1, () -> packageUri, value -> startDownload((String) value));
        executable(2, this::update);
        readable(3, () -> (long) state);
        readable(5, () -> (long) result);
        readable(6, () -> "sim-firmware");
        readable(7, () -> packageVersion);
        readable(8, () -> protocols);
        readable(9, () -> (long) deliveryMethod);
    }

    /** Makes the next updates fail this way (tests, demos); {@link FirmwareFailure#NONE} to behave again. */
    public void injectFailure(FirmwareFailure failure) {
        this.failure = failure;
    }

    /**
     * Tests: the next download, once all its bytes are in, waits until {@code gate} completes before saying
     * Downloaded, so that a test can make that transition happen while the server is stopped.
     */
    public void holdDownloaded(java.util.concurrent.CompletableFuture<Void> gate) {
        this.downloadedGate = gate;
    }

    /** Whether a download has all its bytes and waits for the gate of {@link #holdDownloaded}. */
    public boolean holdingDownloaded() {
        return holdingDownloaded;
    }

    /** Firmware Update Delivery Method (/5/0/9): 0 pull only, 1 push only, 2 both. */
    public void deliveryMethod(int method) {
        this.deliveryMethod = method;
    }

    /** Which download protocols the device says it supports: 0 CoAP, 1 CoAPS, 2 HTTP, 3 HTTPS, ... */
    public void protocolSupport(long... codes) {
        Map<Integer, Long> map = new LinkedHashMap<>();
        for (int i = 0; i < codes.length; i++) {
            map.put(i, codes[i]);
        }
        this.protocols = map;
    }

    /** What a reboot does on the device (set once the client exists). */
    public void onReboot(Runnable reboot) {
        this.reboot = reboot;
    }

    public int state() {
        return state;
    }

    public int result() {
        return result;
    }

    /** The bytes of the last image received, for tests to compare. */
    public byte[] image() {
        return image;
    }

    private void startDownload(String uri) {
        packageUri = uri;
        if (uri == null || uri.isEmpty()) {
            // An empty URI cancels and resets the state machine.
            moveTo(IDLE, RESULT_INITIAL);
            image = null;
            return;
        }
        if (failure == FirmwareFailure.NOT_ENOUGH_FLASH) {
            moveTo(IDLE, RESULT_NOT_ENOUGH_FLASH);
            return;
        }
        moveTo(DOWNLOADING, RESULT_INITIAL);
        worker.execute(() -> download(URI.create(uri)));
    }

    private void download(URI uri) {
        Endpoint endpoint = endpointFor.apply(uri);
        if (endpoint == null) {
            moveTo(IDLE, RESULT_INVALID_URI);
            return;
        }
        String sha256 = query(uri).get("sha256");
        CoapClient client = new CoapClient(uri.toString());
        client.setEndpoint(endpoint);
        client.setTimeout(Duration.ofSeconds(30).toMillis());
        try {
            byte[] bytes;
            if (partial != null && sha256 != null && sha256.equals(partialSha256)) {
                bytes = resume(client, uri);
            } else {
                resumedAtBlock = 0;
                CoapResponse response = client.get();
                if (response == null || !response.isSuccess()) {
                    LOG.info("{} firmware download failed: {}", device.serial(),
                            response == null ? "no answer" : response.getCode());
                    moveTo(IDLE, RESULT_CONNECTION_LOST);
                    return;
                }
                bytes = response.getPayload();
                if (failure == FirmwareFailure.CONNECTION_LOST) {
                    // Keep the first half, whole blocks, as a device keeps what it wrote to flash before the link died.
                    int kept = bytes.length / 2 / BLOCK_SIZE * BLOCK_SIZE;
                    partial = java.util.Arrays.copyOf(bytes, kept);
                    partialSha256 = sha256;
                    LOG.info("{} firmware download lost after {} bytes (injected)", device.serial(), kept);
                    moveTo(IDLE, RESULT_CONNECTION_LOST);
                    return;
                }
            }
            partial = null;
            partialSha256 = null;
            java.util.concurrent.CompletableFuture<Void> gate = downloadedGate;
            if (gate != null) {
                downloadedGate = null;
                holdingDownloaded = true;
                gate.join();
                holdingDownloaded = false;
            }
            accept(bytes, sha256);
            packageVersion = query(uri).getOrDefault("version", packageVersion);
        } catch (Exception e) {
            LOG.info("{} firmware download failed: {}", device.serial(), e.toString());
            moveTo(IDLE, RESULT_CONNECTION_LOST);
        } finally {
            client.shutdown();
        }
    }

    /**
     * Fetches the blocks after the ones kept from an interrupted download of the same image (same digest), asking
     * each by number (Block2 random access), and returns the whole image.
     */
    private byte[] resume(CoapClient client, URI uri) throws Exception {
        java.io.ByteArrayOutputStream image = new java.io.ByteArrayOutputStream();
        image.write(partial);
        int block = partial.length / BLOCK_SIZE;
        resumedAtBlock = block;
        LOG.info("{} firmware download resumes at block {}", device.serial(), block);
        boolean more = true;
        while (more) {
            Request request = Request.newGet();
            request.setURI(uri.toString());
            request.getOptions().setBlock2(BLOCK_SZX, false, block);
            CoapResponse response = client.advanced(request);
            if (response == null || !response.isSuccess()) {
                throw new java.io.IOException("block " + block + ": " + (response == null ? "no answer"
                        : response.getCode()));
            }
            image.write(response.getPayload());
            BlockOption received = response.getOptions().getBlock2();
            more = received != null && received.isM();
            block++;
        }
        return image.toByteArray();
    }

    /** The block the last download started from: 0, or where an interrupted download of the same image stopped. */
    public int resumedAtBlock() {
        return resumedAtBlock;
    }

    private void accept(byte[] bytes, String expectedSha256) {
        boolean corrupted = failure == FirmwareFailure.INTEGRITY_CHECK;
        if (corrupted || expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha256(bytes))) {
            moveTo(IDLE, RESULT_INTEGRITY_FAILED);
            return;
        }
        image = bytes;
        String version = versionInImage(bytes);
        if (version != null) {
            packageVersion = version;
        }
        moveTo(DOWNLOADED, RESULT_INITIAL);
    }

    private void update() {
        if (state != DOWNLOADED) {
            return; // Update before Downloaded is ignored, as the specification allows
        }
        moveTo(UPDATING, RESULT_INITIAL);
        if (failure == FirmwareFailure.SILENT_IN_UPDATING) {
            return; // stays in Updating for ever: the server's stall timeout has to notice
        }
        if (failure == FirmwareFailure.UPDATE_FAILED) {
            worker.execute(() -> moveTo(DOWNLOADED, RESULT_UPDATE_FAILED));
            return;
        }
        worker.execute(() -> {
            if (!packageVersion.isEmpty()) {
                device.setFirmwareVersion(packageVersion);
            }
            state = IDLE;
            result = RESULT_SUCCESS;
            reboot.run();
        });
    }

    private void moveTo(int newState, int newResult) {
        state = newState;
        result = newResult;
        fireResourceChange(3);
        fireResourceChange(5);
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of();
    }

    /** Simulated images may start with a header line {@code SIMFW <version>}: how a pushed image says its version. */
    static String versionInImage(byte[] bytes) {
        String start = new String(bytes, 0, Math.min(bytes.length, 80), java.nio.charset.StandardCharsets.ISO_8859_1);
        if (!start.startsWith("SIMFW ") || start.indexOf('\n') < 0) {
            return null;
        }
        return start.substring(6, start.indexOf('\n')).strip();
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> params = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                String[] kv = pair.split("=", 2);
                params.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return params;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
