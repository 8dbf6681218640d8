package org.lwm2mfleet.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.Api;
import org.lwm2mfleet.server.Devices;
import org.lwm2mfleet.server.TestCertificates;
import org.lwm2mfleet.server.TestServer;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.profiles.Profile;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * An operator's journeys through the console, in headless Chromium, against the real server with its demo fleet
 * (one simulated device of each profile over DTLS). One server and one browser for the whole class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleJourneysTest {

    @RegisterExtension
    static final ConsoleBrowser browser = new ConsoleBrowser();
    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.demo(true).demoDevices(5));
        browser.base(server.server().httpUri());
        await().atMost(Duration.ofSeconds(30)).until(
                () -> server.api().get("/api/v1/devices?status=online&tag=demo").json().get("items").size() >= 4);
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    private static By row(String endpoint) {
        return By.cssSelector("#device-rows tr[data-endpoint='" + endpoint + "']");
    }

    @Test
    @Order(1)
    void signsInAndSeesTheFleetAndNewDevicesLive() {
        browser.signIn("admin", TestServer.ADMIN_PASSWORD);
        browser.waitUntil(d -> Integer.parseInt(d.findElement(By.id("count-online")).getText().replace("–", "0")) >= 4);
        browser.waitUntil(d -> d.findElements(By.cssSelector("#registrations-chart .bar:not(.zero)")).size() > 0);
        browser.waitUntil(d -> d.findElement(By.id("firmware-versions")).getText().contains("SIM-EM-1"));
        // The demo devices registered over DTLS minutes ago at most: their handshakes are in the per-minute table.
        browser.waitUntil(d -> d.findElements(By.cssSelector("#per-minute tbody tr")).size() == 15);
        assertThat(browser.driver().findElements(By.cssSelector("#per-minute tbody tr td:nth-child(3)")).stream()
                .mapToInt(td -> Integer.parseInt(td.getText())).sum()).as("full handshakes").isPositive();
        browser.document("overview");

        browser.open("#/devices");
        browser.waitFor(row("demo-electricity-meter-1"));
        assertThat(browser.find(By.cssSelector(".status-online")).isPresent()).isTrue();

        // A device provisioned and started while the page is open appears, then turns online, without a reload.
        byte[] key = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
        Devices.provisionPsk(server.api(), "live-meter-1", "live-meter-1", key);
        browser.waitFor(row("live-meter-1"));
        browser.script("window.__sameDocument = true");
        devices.start("live-meter-1", Profile.ELECTRICITY_METER, server.server().coapsUri(),
                DeviceSecurity.psk("live-meter-1", key));
        browser.waitUntil(d -> d.findElement(row("live-meter-1")).getText().contains("online"), Duration.ofSeconds(30));
        assertThat(browser.script("return window.__sameDocument")).isEqualTo(true);
        browser.document("devices");
        assertThat(browser.severeLogs()).isEmpty();
    }

    @Test
    @Order(2)
    void filtersTheDeviceList() {
        browser.open("#/devices");
        browser.waitFor(row("demo-water-meter-1"));
        WebElement q = browser.waitFor(By.id("filter-q"));
        q.clear();
        q.sendKeys("water", Keys.ENTER);
        browser.waitUntil(d -> d.findElements(By.cssSelector("#device-rows tr[data-endpoint]")).size() == 1);
        assertThat(browser.driver().findElement(By.cssSelector("#device-rows tr[data-endpoint]")).getAttribute("data-endpoint"))
                .isEqualTo("demo-water-meter-1");
        assertThat(browser.driver().getCurrentUrl()).contains("q=water");

        browser.open("#/devices?object=3303");
        browser.waitUntil(d -> d.findElements(By.cssSelector("#device-rows tr[data-endpoint]")).size() == 1
                && d.findElement(By.cssSelector("#device-rows tr[data-endpoint]")).getAttribute("data-endpoint")
                        .equals("demo-environment-sensor-1"));

        // Tag two devices at once, then filter by that tag.
        browser.open("#/devices?q=meter");
        browser.waitFor(row("demo-water-meter-1"));
        browser.driver().findElement(By.cssSelector("#device-rows tr[data-endpoint='demo-water-meter-1'] input[type=checkbox]")).click();
        browser.driver().findElement(By.cssSelector("#device-rows tr[data-endpoint='demo-electricity-meter-1'] input[type=checkbox]")).click();
        browser.waitFor(By.id("bulk-tag-add")).sendKeys("floor-2", Keys.ENTER);
        browser.waitUntil(d -> d.findElement(row("demo-water-meter-1")).getText().contains("floor-2"));
        browser.driver().findElement(By.id("clear-selection")).click();
        browser.open("#/devices?tag=floor-2");
        browser.waitUntil(d -> d.findElements(By.cssSelector("#device-rows tr[data-endpoint]")).size() == 2);

        // By firmware version, from the overview's table of versions.
        browser.open("#/");
        browser.waitFor(By.cssSelector("#firmware-versions a[href*='SIM-WM-1']")).click();
        browser.waitUntil(d -> d.findElements(By.cssSelector("#device-rows tr[data-endpoint]")).size() == 1
                && d.findElement(By.cssSelector("#device-rows tr[data-endpoint]")).getAttribute("data-endpoint")
                        .equals("demo-water-meter-1"));

        browser.open("#/devices?q=no-such-device-anywhere");
        browser.waitUntil(d -> d.findElement(By.id("device-rows")).getText().contains("No device matches"));
    }

    @Test
    @Order(2)
    void sortsTheDeviceListByAColumnAndPagesInThatOrder() {
        browser.open("#/devices?tag=demo");
        browser.waitUntil(d -> shownEndpoints().size() == 5);
        java.util.List<String> ascending = shownEndpoints();
        assertThat(ascending).isSorted();
        WebElement endpointHeader = browser.waitFor(By.cssSelector("th[data-sort='endpoint']"));
        assertThat(endpointHeader.getAttribute("aria-sort")).isEqualTo("ascending");

        // A click on the sorted column turns the order round; the filter stays.
        endpointHeader.findElement(By.tagName("button")).click();
        browser.waitUntil(d -> d.findElement(By.cssSelector("th[data-sort='endpoint']")).getAttribute("aria-sort")
                .equals("descending") && shownEndpoints().equals(reversed(ascending)));
        assertThat(browser.driver().getCurrentUrl()).contains("sort=-endpoint").contains("tag=demo");
        assertThat(browser.driver().findElement(By.cssSelector("th[data-sort='endpoint'] .arrow")).getText())
                .isEqualTo("▼");

        // From the keyboard: the sort button keeps the focus once the list is drawn in the new order.
        WebElement status = browser.driver().findElement(By.cssSelector("th[data-sort='status'] button"));
        status.sendKeys(Keys.ENTER);
        browser.waitUntil(d -> d.findElement(By.cssSelector("th[data-sort='status']")).getAttribute("aria-sort")
                .equals("ascending"));
        assertThat(browser.driver().findElement(By.cssSelector("th[data-sort='endpoint']")).getAttribute("aria-sort"))
                .isEqualTo("none");
        assertThat(browser.script("return document.activeElement.closest('th').dataset.sort")).isEqualTo("status");
        java.util.List<String> byStatus = java.util.stream.StreamSupport.stream(server.api()
                .get("/api/v1/devices?tag=demo&sort=status").json().get("items").spliterator(), false)
                .map(d -> d.get("endpoint").asText()).toList();
        browser.waitUntil(d -> shownEndpoints().equals(byStatus));

        // Paging goes on in the chosen order.
        browser.open("#/devices?tag=demo&sort=-endpoint&limit=2");
        browser.waitUntil(d -> shownEndpoints().equals(reversed(ascending).subList(0, 2)));
        browser.click(By.id("next-page"));
        browser.waitUntil(d -> shownEndpoints().equals(reversed(ascending).subList(2, 4)));
        browser.click(By.id("next-page"));
        browser.waitUntil(d -> shownEndpoints().equals(reversed(ascending).subList(4, 5)));
        assertThat(browser.driver().findElement(By.id("next-page")).isEnabled()).isFalse();
        assertThat(browser.severeLogs()).isEmpty();
    }

    private static java.util.List<String> shownEndpoints() {
        return browser.all(By.cssSelector("#device-rows tr[data-endpoint]")).stream()
                .map(tr -> tr.getAttribute("data-endpoint")).toList();
    }

    private static java.util.List<String> reversed(java.util.List<String> list) {
        java.util.List<String> copy = new java.util.ArrayList<>(list);
        java.util.Collections.reverse(copy);
        return copy;
    }

    private static WebElement openObject(int objectId) {
        WebElement details = browser.waitFor(By.cssSelector("#objects details[data-object='" + objectId + "'] summary"));
        details.click();
        return browser.waitFor(By.cssSelector("#objects details[data-object='" + objectId + "'] .instance-block"));
    }

    private static By value(String path) {
        return By.cssSelector("td.value[data-path='" + path + "']");
    }

    private static WebElement button(String path, String op) {
        return browser.driver().findElement(By.cssSelector("tr[data-resource='" + path + "'] button[data-op='" + op + "']"));
    }

    @Test
    @Order(3)
    void readsWritesAndRebootsADevice() {
        browser.open("#/devices/demo-electricity-meter-1");
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("online"));
        // Its DTLS session, as the server saw it begin (a demo device may have resumed it since).
        assertThat(browser.waitFor(By.id("device-session")).getAttribute("data-kind")).isIn("full-handshake",
                "resumed");
        openObject(3);
        // The instance is read when it opens: the manufacturer shows.
        browser.waitUntil(d -> !d.findElement(value("/3/0/0")).getText().isBlank());
        button("/3/0/15", "read").click();

        // Write the time zone, typed as a string by the model, and see it read back.
        button("/3/0/15", "write").click();
        WebElement input = browser.waitFor(By.cssSelector("form[data-form='write'] [name='value']"));
        input.sendKeys("Europe/Paris", Keys.ENTER);
        browser.waitUntil(d -> d.findElement(value("/3/0/15")).getText().equals("Europe/Paris"));

        // Reboot: the device goes and registers again, which the page shows as it happens.
        button("/3/0/4", "execute").click();
        browser.waitFor(By.cssSelector("form[data-form='execute'] button[type=submit]")).click();
        browser.waitFor(By.cssSelector("#activity li[data-type='registered']"), Duration.ofSeconds(30));
        browser.waitUntil(d -> d.findElement(By.id("operation-log")).getText().contains("execute"));
        assertThat(browser.severeLogs()).isEmpty();
    }

    /** The points a chart drew (0 while it shows a message instead). */
    private static int points(org.openqa.selenium.WebDriver driver, String id) {
        String points = driver.findElement(By.id(id)).getAttribute("data-points");
        return points == null ? 0 : Integer.parseInt(points);
    }

    @Test
    @Order(4)
    void observesAValueAndChartsIt() {
        browser.open("#/devices/demo-electricity-meter-1");
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("online"));
        openObject(3305);
        button("/3305/0/5800", "observe").click();
        WebElement pmax = browser.waitFor(By.cssSelector("form[data-form='observe'] [name='pmax']"));
        pmax.clear();
        pmax.sendKeys("1");
        browser.driver().findElement(By.cssSelector("form[data-form='observe'] button[type=submit]")).click();
        browser.waitUntil(d -> points(d, "live-chart") >= 3,
                Duration.ofSeconds(20));
        assertThat(browser.find(By.cssSelector("#live-chart canvas")).isPresent()).isTrue();
        assertThat(browser.driver().findElement(By.id("observations")).getText()).contains("/3305/0/5800");

        // The same values as history, bucketed over the last hour.
        browser.waitUntil(d -> d.findElements(By.cssSelector("#history-path option[value='/3305/0/5800']")).size() == 1);
        new Select(browser.driver().findElement(By.id("history-path"))).selectByValue("/3305/0/5800");
        browser.driver().findElement(By.cssSelector("#history-form button[type=submit]")).click();
        browser.waitUntil(d -> points(d, "history-chart") >= 1);
        browser.document("device");
        // uPlot draws under the strict Content-Security-Policy: nothing refused, nothing thrown.
        assertThat(browser.severeLogs()).isEmpty();
    }

    @Test
    @Order(5)
    void provisionsADeviceThatThenRegisters() {
        browser.open("#/provision");
        browser.waitFor(By.id("prov-endpoint")).sendKeys("console-meter-1");
        browser.driver().findElement(By.id("prov-label")).sendKeys("Provisioned from the console");
        browser.driver().findElement(By.id("prov-tags")).sendKeys("console, meters");
        browser.driver().findElement(By.id("prov-key")).sendKeys("00112233445566778899aabbccddeeff");
        browser.driver().findElement(By.cssSelector("#provision-form button[type=submit]")).click();
        browser.waitFor(By.id("prov-created")).click();
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("offline"));

        devices.start("console-meter-1", Profile.ELECTRICITY_METER, server.server().coapsUri(),
                DeviceSecurity.psk("console-meter-1", HexFormat.of().parseHex("00112233445566778899aabbccddeeff")));
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("online"), Duration.ofSeconds(30));
        browser.waitFor(By.cssSelector("#activity li[data-type='registered']"));

        // Its tags, edited on its page.
        browser.driver().findElement(By.id("edit-tags")).click();
        WebElement tags = browser.waitFor(By.id("tags-input"));
        tags.clear();
        tags.sendKeys("console, kitchen", Keys.ENTER);
        browser.waitUntil(d -> d.findElement(By.cssSelector(".page-head")).getText().contains("kitchen"));
        assertThat(server.api().get("/api/v1/devices/console-meter-1").json().get("tags").toString())
                .isEqualTo("[\"console\",\"kitchen\"]");

        // Re-keyed from its page: the identity stays, the key changes, keys are never shown.
        browser.driver().findElement(By.id("edit-credentials")).click();
        browser.waitUntil(d -> d.findElement(By.id("credentials-form")).getText().contains("identity console-meter-1"));
        browser.driver().findElement(By.id("rekey-key")).sendKeys("ffeeddccbbaa99887766554433221100");
        browser.driver().findElement(By.cssSelector("#credentials-form button[type=submit]")).click();
        browser.waitUntil(d -> d.findElements(By.id("credentials-form")).isEmpty());
        assertThat(server.api().get("/api/v1/devices/console-meter-1/credentials").json().get("identity").asText())
                .isEqualTo("console-meter-1");

        // An API error is shown in words, on the field it is about.
        browser.open("#/provision");
        browser.waitFor(By.id("prov-endpoint")).sendKeys("bad-key-device");
        browser.driver().findElement(By.id("prov-key")).sendKeys("xyz");
        browser.driver().findElement(By.cssSelector("#provision-form button[type=submit]")).click();
        browser.waitUntil(d -> d.findElement(By.cssSelector("#provision-form .error")).getText().contains("key"));
        assertThat(browser.driver().findElement(By.id("prov-key")).getAttribute("class")).contains("invalid");

        // Bulk import from CSV with a report per row.
        WebElement csv = browser.driver().findElement(By.id("bulk-csv"));
        csv.sendKeys("endpoint,kind,identity,key,public_key,tags,label\n"
                + "csv-1,psk,csv-1,00112233445566778899aabbccddee01,,bulk,First\n"
                + "csv-2,psk,csv-2,,,bulk,Missing key\n"
                + "csv-3,none,,,,bulk,Plain\n");
        browser.driver().findElement(By.cssSelector("#bulk-form button[type=submit]")).click();
        browser.waitUntil(d -> d.findElement(By.id("bulk-report")).getText().contains("2 created, 1 rejected"));
        assertThat(browser.driver().findElement(By.id("bulk-report")).getText()).contains("csv-3");
        browser.document("provisioning");
    }

    @Test
    @Order(6)
    void uploadsAnImageAndRunsACampaignToSuccess() throws Exception {
        Path image = dir.resolve("fan-2.0.0.bin");
        byte[] bytes = new byte[20_000];
        new java.util.Random(7).nextBytes(bytes);
        byte[] header = "SIMFW 2.0.0\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(header, 0, bytes, 0, header.length);
        Files.write(image, bytes);

        browser.open("#/firmware");
        browser.waitFor(By.id("fw-name")).sendKeys("fan-fw");
        browser.driver().findElement(By.id("fw-version")).sendKeys("2.0.0");
        browser.driver().findElement(By.id("fw-file")).sendKeys(image.toAbsolutePath().toString());
        browser.driver().findElement(By.cssSelector("#upload-form button[type=submit]")).click();
        browser.waitUntil(d -> d.findElement(By.id("fw-progress-text")).getText().startsWith("Uploaded fan-fw 2.0.0"));
        browser.waitUntil(d -> d.findElement(By.id("images")).getText().contains("fan-fw"));

        // Select the fan in the device list and start a campaign on the selection.
        browser.open("#/devices?q=ventilation");
        browser.waitFor(row("demo-ventilation-fan-1"));
        browser.driver().findElement(By.cssSelector("#device-rows tr[data-endpoint='demo-ventilation-fan-1'] input[type=checkbox]")).click();
        browser.waitFor(By.id("bulk-campaign")).click();
        browser.waitFor(By.id("camp-name")).sendKeys("fans to 2.0.0");
        assertThat(browser.driver().findElement(By.id("camp-target-selection")).isSelected()).isTrue();
        WebElement concurrency = browser.driver().findElement(By.id("camp-concurrency"));
        concurrency.clear();
        concurrency.sendKeys("2");
        browser.document("campaign-form");
        browser.driver().findElement(By.cssSelector("#campaign-form button[type=submit]")).click();

        browser.waitFor(By.id("campaign-counts"));
        browser.waitUntil(d -> d.findElement(By.cssSelector("#campaign-counts [data-state='succeeded']")).getText().equals("1"),
                Duration.ofSeconds(60));
        browser.waitUntil(d -> d.findElement(By.id("campaign-status")).getText().equals("finished"));
        browser.document("campaign");

        // A campaign waiting for a device that is offline: paused, resumed and cancelled from its page.
        assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"offline-1\",\"credentials\":{\"kind\":\"none\"}}")
                .status()).isEqualTo(201);
        Api.Reply waiting = server.api().post("/api/v1/campaigns", "{\"name\":\"offline ones\",\"imageId\":1,"
                + "\"devices\":[\"offline-1\"],\"concurrency\":1}");
        assertThat(waiting.status()).as(waiting.text()).isEqualTo(201);
        browser.open("#/campaigns/" + waiting.json().get("campaign").get("id").asText());
        browser.click(By.id("campaign-pause"));
        browser.waitUntil(d -> d.findElement(By.id("campaign-status")).getText().equals("paused"));
        browser.click(By.id("campaign-resume"));
        browser.waitUntil(d -> d.findElement(By.id("campaign-status")).getText().equals("running"));
        browser.click(By.id("campaign-cancel"));
        browser.driver().switchTo().alert().accept();
        browser.waitUntil(d -> d.findElement(By.id("campaign-status")).getText().equals("cancelled"));

        browser.open("#/firmware");
        browser.waitUntil(d -> d.findElement(By.id("campaigns")).getText().contains("fans to 2.0.0"));
        browser.document("firmware");
    }

    @Test
    @Order(7)
    void administersUsersTokensAndReadsTheAuditLog() {
        browser.open("#/admin");
        browser.waitFor(By.id("user-name")).sendKeys("olivia");
        browser.driver().findElement(By.id("user-password")).sendKeys("olivia-password-1");
        new Select(browser.driver().findElement(By.id("user-role"))).selectByValue("operator");
        browser.driver().findElement(By.cssSelector("#user-form button[type=submit]")).click();
        browser.waitFor(By.cssSelector("#users tr[data-user='olivia']"));

        browser.driver().findElement(By.id("token-name")).sendKeys("ci");
        browser.driver().findElement(By.cssSelector("#token-form button[type=submit]")).click();
        String token = browser.waitFor(By.id("token-value")).getText();
        assertThat(token).startsWith("lwf_");
        assertThat(server.api().withToken(token).get("/api/v1/devices").status()).isEqualTo(200);

        browser.waitUntil(d -> d.findElement(By.id("audit")).getText().contains("POST /api/v1/users"));
        browser.document("administration");
    }

    @Test
    @Order(8)
    void seesTheGasRuleSwitchTheFanWithItsFiringsAndAcknowledgesTheAlert() {
        browser.open("#/rules");
        browser.waitUntil(d -> d.findElement(By.id("rules")).getText().contains("Ventilate on gas (demo)"));
        assertThat(server.api().post("/api/v1/demo/gas-event", "{}").status()).isEqualTo(200);
        // The alert appears live, without a reload.
        WebElement ack = browser.waitFor(By.cssSelector("#alerts button[data-ack]"), Duration.ofSeconds(60));
        assertThat(browser.driver().findElement(By.id("alerts")).getText()).contains("demo-gas-detector-1", "major");
        browser.driver().findElement(By.cssSelector("#rules tr[data-rule] button")).click();
        browser.waitUntil(d -> d.findElement(By.id("firings")).getText().contains("raised"));
        browser.waitUntil(d -> d.findElement(By.id("firings")).getText().contains("demo-ventilation-fan-1/3306/0/5850"),
                Duration.ofSeconds(30));
        browser.document("rules");
        ack.click();
        browser.waitUntil(d -> d.findElement(By.id("alerts")).getText().contains("by admin"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.api()
                .get("/api/v1/devices/demo-ventilation-fan-1/objects/3306/0/5850").json().path("value").asBoolean());

        // A rule with a mistake is refused with the field named, in words.
        browser.waitFor(By.id("new-rule")).click();
        WebElement text = browser.waitFor(By.cssSelector("#rule-form textarea"));
        text.clear();
        text.sendKeys("{\"name\":\"bad\",\"trigger\":{\"path\":\"/3/0/0\",\"endpoint\":\"x\","
                + "\"condition\":\"above\",\"threshold\":1},\"actions\":[{\"type\":\"alert\"}]}");
        browser.driver().findElement(By.cssSelector("#rule-form button[type=submit]")).click();
        browser.waitUntil(d -> d.findElement(By.id("rule-form")).getText().contains("trigger.path"));
        assertThat(browser.severeLogs()).isEmpty();
    }
    @Test
    @Order(9)
    void createsAndDeletesAnObjectInstanceOnADevice() {
        String fan = "/api/v1/devices/demo-ventilation-fan-1/objects/3306";
        browser.open("#/devices/demo-ventilation-fan-1");
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("online"));
        openObject(3306);
        browser.click(By.cssSelector("#objects details[data-object='3306'] details > summary"));
        WebElement form = browser.waitFor(By.cssSelector("#objects form[data-form='create']"));
        form.findElement(By.name("instanceId")).sendKeys("7");
        form.findElement(By.name("resources.5750")).sendKeys("second fan");
        // On/Off is mandatory: the form offers no "skip" for it.
        assertThat(form.findElement(By.name("resources.5850")).getText()).doesNotContain("skip");
        new Select(form.findElement(By.name("resources.5850"))).selectByValue("false");
        form.findElement(By.cssSelector("button[type=submit]")).click();

        // On the device (read back over the API), then on the page: the device announces it and the tree shows it.
        await().atMost(Duration.ofSeconds(20)).until(() -> server.api().get(fan + "/7").status() == 200);
        assertThat(server.api().get(fan + "/7/5750").json().path("value").asText()).isEqualTo("second fan");
        browser.waitUntil(d -> d.findElement(By.cssSelector("#objects details[data-object='3306'] summary")).getText()
                .contains("2 instance(s)"), Duration.ofSeconds(30));
        browser.waitUntil(d -> d.findElement(By.id("operation-log")).getText().contains("create"));

        openObject(3306);
        WebElement instance = browser.waitFor(By.cssSelector("#objects .instance-block[data-instance='/3306/7']"));
        browser.waitUntil(d -> d.findElement(value("/3306/7/5750")).getText().equals("second fan"));
        instance.findElement(By.cssSelector("button.danger")).click();
        browser.driver().switchTo().alert().accept();
        await().atMost(Duration.ofSeconds(20)).until(() -> server.api().get(fan + "/7").status() != 200);
        browser.waitUntil(d -> d.findElement(By.cssSelector("#objects details[data-object='3306'] summary")).getText()
                .contains("1 instance(s)"), Duration.ofSeconds(30));
        browser.waitUntil(d -> d.findElement(By.id("operation-log")).getText().contains("delete"));
        assertThat(server.api().get(fan + "/0/5750").status()).isEqualTo(200);
        assertThat(browser.severeLogs()).isEmpty();
    }

    @Test
    @Order(10)
    void provisionsAnRpkDeviceThatThenRegisters() throws Exception {
        KeyPair keys = TestCertificates.newKeyPair();
        Path publicKey = dir.resolve("console-rpk-1.pub.pem");
        Files.writeString(publicKey, FleetCredentials.toPem(keys.getPublic()));

        browser.open("#/provision");
        browser.waitFor(By.id("prov-endpoint")).sendKeys("console-rpk-1");
        browser.driver().findElement(By.id("prov-kind-rpk")).click();
        browser.waitFor(By.cssSelector("input[type=file][aria-label='Public key file']"))
                .sendKeys(publicKey.toAbsolutePath().toString());
        browser.waitUntil(d -> d.findElement(By.id("prov-public-key")).getAttribute("value").contains("BEGIN PUBLIC KEY"));
        browser.driver().findElement(By.cssSelector("#provision-form button[type=submit]")).click();
        browser.waitFor(By.id("prov-created")).click();
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("offline"));
        assertThat(server.api().get("/api/v1/devices/console-rpk-1/credentials").json().get("kind").asText())
                .isEqualTo("rpk");

        devices.start("console-rpk-1", Profile.WATER_METER, server.server().coapsUri(),
                DeviceSecurity.rpk(keys, server.server().identity().publicKey()));
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("online"), Duration.ofSeconds(30));
        browser.waitUntil(d -> d.findElement(By.id("device-facts")).getText().contains("rpk"));
        assertThat(browser.severeLogs()).isEmpty();
    }

    @Test
    @Order(11)
    void provisionsAnX509DeviceWithAnUploadedCertificateThatThenRegisters() throws Exception {
        // The demo server trusts no CA: the uploaded (self-signed) certificate is the device's only way in.
        KeyPair keys = TestCertificates.newKeyPair();
        X509Certificate certificate = TestCertificates.selfSigned("console-x509-1", keys);
        Path good = dir.resolve("console-x509-1.pem");
        Files.writeString(good, FleetCredentials.toPem(certificate));
        Path otherName = dir.resolve("someone-else.pem");
        Files.writeString(otherName, FleetCredentials.toPem(TestCertificates.selfSigned("someone-else", keys)));

        browser.open("#/provision");
        browser.waitFor(By.id("prov-endpoint")).sendKeys("console-x509-1");
        browser.driver().findElement(By.id("prov-kind-x509")).click();
        WebElement file = browser.waitFor(By.id("prov-certificate-file"));

        // Another device's certificate: the server's reason, in words, on the certificate field.
        file.sendKeys(otherName.toAbsolutePath().toString());
        browser.waitUntil(d -> d.findElement(By.id("prov-certificate")).getAttribute("value").contains("BEGIN CERTIFICATE"));
        browser.driver().findElement(By.cssSelector("#provision-form button[type=submit]")).click();
        browser.waitUntil(d -> d.findElement(By.cssSelector("#provision-form .error")).getText()
                .contains("CN 'someone-else' is not the endpoint name 'console-x509-1'"));
        assertThat(browser.driver().findElement(By.id("prov-certificate")).getAttribute("class")).contains("invalid");
        browser.document("provisioning-x509");
        assertThat(server.api().get("/api/v1/devices/console-x509-1").status()).isEqualTo(404);

        // Its own certificate: pinned, and shown by its fingerprint.
        file.sendKeys(good.toAbsolutePath().toString());
        browser.waitUntil(d -> d.findElement(By.id("prov-certificate")).getAttribute("value")
                .equals(FleetCredentials.toPem(certificate)));
        browser.driver().findElement(By.cssSelector("#provision-form button[type=submit]")).click();
        String sha256 = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        browser.waitUntil(d -> d.findElement(By.id("prov-pinned")).getText().contains(sha256));
        browser.driver().findElement(By.id("prov-created")).click();
        browser.waitUntil(d -> d.findElement(By.id("pinned-certificate")).getText().contains("CN=console-x509-1"));

        devices.start("console-x509-1", Profile.GAS_DETECTOR, server.server().coapsUri(),
                DeviceSecurity.x509(keys, certificate, server.server().identity().certificate()));
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("online"), Duration.ofSeconds(30));
        browser.waitUntil(d -> d.findElement(By.id("device-facts")).getText().contains("x509"));
        assertThat(browser.severeLogs()).isEmpty();
    }
}