package org.lwm2mfleet.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.lwm2mfleet.server.error.FleetException;

/** The device list's cursor on its own: what goes out comes back, and what a client makes up is refused by name. */
class DeviceCursorTest {

    @Test
    void everySortKeyRoundTrips() {
        assertRoundTrip(new DeviceCursor(DeviceSort.DEFAULT, null, "meter-1"));
        assertRoundTrip(new DeviceCursor(DeviceSort.parse("label"), "Hall ä", "meter-2"));
        assertRoundTrip(new DeviceCursor(DeviceSort.parse("-label"), null, "meter-3"));
        assertRoundTrip(new DeviceCursor(DeviceSort.parse("status"), 2, "meter-4"));
        assertRoundTrip(new DeviceCursor(DeviceSort.parse("-lastUpdate"), Instant.parse("2026-12-03T10:15:30.123Z"),
                "meter-5"));
        assertRoundTrip(new DeviceCursor(DeviceSort.parse("createdAt"), Instant.parse("2026-01-01T00:00:00Z"),
                "x/../y"));
    }

    @Test
    void theWireFormIsUrlSafe() {
        String cursor = new DeviceCursor(DeviceSort.parse("label"), "???>>>~~~", "meter-1").encode();
        assertThat(cursor).matches("[A-Za-z0-9_-]+");
    }

    @Test
    void aCursorOfAnotherSortIsRefusedNamingBoth() {
        String cursor = new DeviceCursor(DeviceSort.parse("label"), "a", "meter-1").encode();
        assertThatThrownBy(() -> DeviceCursor.decode(cursor, DeviceSort.parse("-label")))
                .isInstanceOfSatisfying(FleetException.class, e -> assertThat(e.field()).isEqualTo("cursor"))
                .hasMessageContaining("'label'").hasMessageContaining("'-label'");
    }

    @Test
    void madeUpCursorsAreRefused() {
        DeviceSort byStatus = DeviceSort.parse("status");
        for (String text : new String[] { "not base64 !", encode("[]"), encode("{\"sort\":\"status\"}"),
                encode("{\"sort\":\"status\",\"endpoint\":\"a\"}"),
                encode("{\"sort\":\"status\",\"endpoint\":\"a\",\"key\":\"two\"}"),
                encode("{\"sort\":\"status\",\"endpoint\":\"a\",\"key\":null}") }) {
            assertThatThrownBy(() -> DeviceCursor.decode(text, byStatus)).as(text)
                    .isInstanceOfSatisfying(FleetException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
        }
        assertThatThrownBy(() -> DeviceCursor.decode(
                encode("{\"sort\":\"createdAt\",\"endpoint\":\"a\",\"key\":\"yesterday\"}"), DeviceSort.parse("createdAt")))
                .isInstanceOfSatisfying(FleetException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
    }

    private static void assertRoundTrip(DeviceCursor cursor) {
        assertThat(DeviceCursor.decode(cursor.encode(), cursor.sort())).isEqualTo(cursor);
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
