package org.lwm2mfleet.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.Api;
import org.lwm2mfleet.server.Devices;
import org.lwm2mfleet.server.TestServer;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * Who sees what in the console, and hostile data shown as text: a viewer gets no button that changes anything and
 * the API refuses the change anyway; a label holding markup stays text; a one-time password must be changed first.
 */
class ConsoleAccessTest {

    @RegisterExtension
    static final ConsoleBrowser browser = new ConsoleBrowser();
    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        // Queue-mode devices count as asleep 1 s after they last talked (instead of CoAP's 93 s).
        server = TestServer.start(dir, c -> c.queueAwakeTime(Duration.ofSeconds(1)));
        browser.base(server.server().httpUri());
        devices.startPsk(server, "console-access", "sec-meter-1", Profile.ELECTRICITY_METER);
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    private static void createUser(String username, String password, String role, boolean oneTime) {
        Api.Reply reply = server.api().post("/api/v1/users", Json.MAPPER.valueToTree(Map.of("username", username,
                "password", password, "role", role, "mustChangePassword", oneTime)).toString());
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    }

    @Test
    void aLabelHoldingMarkupShowsAsText() {
        String label = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
        Api.Reply reply = server.api().post("/api/v1/devices", Json.MAPPER.valueToTree(Map.of("endpoint", "xss-device",
                "label", label, "credentials", Map.of("kind", "none"))).toString());
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);

        browser.signIn("admin", TestServer.ADMIN_PASSWORD);
        browser.open("#/devices?q=xss");
        browser.waitFor(By.cssSelector("#device-rows tr[data-endpoint='xss-device']"));
        String cell = browser.driver().findElement(By.cssSelector("#device-rows tr[data-endpoint='xss-device'] td:nth-child(3)"))
                .getAttribute("textContent");
        assertThat(cell).isEqualTo(label);
        assertThat(browser.all(By.cssSelector("#device-rows img, #device-rows script"))).isEmpty();

        browser.open("#/devices/xss-device");
        assertThat(browser.waitFor(By.id("device-label")).getAttribute("textContent")).isEqualTo(label);
        assertThat(browser.script("return window.__pwned === undefined")).isEqualTo(true);
    }

    @Test
    void aViewerSeesNoButtonThatChangesAndTheApiRefusesAnyway() {
        createUser("vera", "vera-password-1", "viewer", false);
        browser.signIn("vera", "vera-password-1");
        assertThat(browser.driver().findElement(By.cssSelector("#nav a[data-nav='devices']")).isDisplayed()).isTrue();
        assertThat(browser.driver().findElement(By.cssSelector("#nav a[data-nav='provision']")).isDisplayed()).isFalse();
        assertThat(browser.driver().findElement(By.cssSelector("#nav a[data-nav='admin']")).isDisplayed()).isFalse();

        browser.open("#/devices/sec-meter-1");
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("online"));
        browser.waitFor(By.cssSelector("#objects details[data-object='3'] summary")).click();
        browser.waitUntil(d -> !d.findElement(By.cssSelector("td.value[data-path='/3/0/0']")).getText().isBlank());
        assertThat(browser.all(By.cssSelector("button[data-op='read']"))).isNotEmpty();
        assertThat(browser.all(By.cssSelector("button[data-op='write'], button[data-op='execute'], button[data-op='observe'],"
                + " #delete-device"))).isEmpty();
        browser.document("viewer-device");

        // The same session asking anyway, with its CSRF token: refused with a sentence.
        @SuppressWarnings("unchecked")
        Map<String, Object> answer = (Map<String, Object>) browser.asyncScript("""
                const done = arguments[arguments.length - 1];
                (async () => {
                  const session = await (await fetch('/api/v1/session')).json();
                  const r = await fetch('/api/v1/devices/sec-meter-1/objects/3/0/15', { method: 'PUT',
                    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrfToken },
                    body: JSON.stringify({ value: 'Europe/Paris' }) });
                  done({ status: r.status, body: await r.json() });
                })().catch(e => done({ status: -1, body: String(e) }));
                """);
        assertThat(((Number) answer.get("status")).intValue()).isEqualTo(403);
        Api vera = server.api().signIn("vera", "vera-password-1");
        assertThat(vera.post("/api/v1/devices/sec-meter-1/objects/3/0/4/execute", "{}").status()).isEqualTo(403);
        assertThat(vera.delete("/api/v1/devices/sec-meter-1").status()).isEqualTo(403);
    }

    @Test
    void aOneTimePasswordMustBeChangedBeforeAnythingElse() {
        browser.signIn("admin", TestServer.ADMIN_PASSWORD);
        browser.driver().findElement(By.id("sign-out")).click();
        // A wrong password is said in words.
        browser.waitFor(By.id("signin-username")).sendKeys("admin");
        browser.driver().findElement(By.id("signin-password")).sendKeys("not-the-password");
        browser.driver().findElement(By.cssSelector("#signin-form button[type=submit]")).click();
        browser.waitUntil(d -> d.findElement(By.cssSelector("main .error")).getText().contains("Wrong user name or password"));
        browser.document("sign-in");

        createUser("newbie", "one-time-password-1", "operator", true);
        browser.signIn("newbie", "one-time-password-1");
        browser.waitFor(By.id("pw-current")).sendKeys("one-time-password-1");
        browser.driver().findElement(By.id("pw-new")).sendKeys("my-own-password-1");
        browser.driver().findElement(By.id("pw-repeat")).sendKeys("my-own-password-1");
        browser.driver().findElement(By.cssSelector("#password-form button[type=submit]")).click();
        browser.waitFor(By.id("count-total"));
        assertThat(browser.driver().findElement(By.cssSelector("#nav a[data-nav='provision']")).isDisplayed()).isTrue();
        assertThat(browser.driver().findElement(By.cssSelector("#nav a[data-nav='admin']")).isDisplayed()).isFalse();
        assertThat(browser.severeLogs()).isEmpty();
    }

    @Test
    void theDeviceListStaysFastWithTenThousandDevices() {
        StringBuilder csv = new StringBuilder("endpoint,kind,tags\n");
        for (int i = 0; i < 10_000; i++) {
            csv.append(String.format("bulk-%05d,none,%s%n", i, i % 10 == 0 ? "tenth" : "bulk"));
        }
        long started = System.nanoTime();
        Api.Reply reply = server.api().post("/api/v1/devices:bulk", "text/csv", csv.toString());
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        assertThat(reply.json().get("created").asInt()).isEqualTo(10_000);
        System.out.printf("10,000 devices provisioned in %d ms%n", (System.nanoTime() - started) / 1_000_000);

        browser.signIn("admin", TestServer.ADMIN_PASSWORD);
        started = System.nanoTime();
        browser.open("#/devices?tag=tenth&limit=100");
        browser.waitUntil(d -> d.findElements(By.cssSelector("#device-rows tr[data-endpoint]")).size() == 100);
        long firstPage = (System.nanoTime() - started) / 1_000_000;
        browser.driver().findElement(By.id("next-page")).click();
        browser.waitUntil(d -> d.findElement(By.cssSelector("#device-rows tr[data-endpoint]")).getAttribute("data-endpoint")
                .equals("bulk-01000"));
        browser.open("#/");
        browser.waitUntil(d -> Integer.parseInt(d.findElement(By.id("count-total")).getText().replace("–", "0")) > 10_000);
        System.out.printf("first page of 100 among 10,000 devices shown in %d ms%n", firstPage);
        assertThat(firstPage).isLessThan(5_000);
    }

    @Test
    void aWriteToASleepingDeviceWaitsAndRunsWhenItWakes() {
        assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"sleepy-1\",\"credentials\":{\"kind\":\"none\"}}")
                .status()).isEqualTo(201);
        SimulatedDevice sleeper = devices.started(SimulatedDevice.builder("sleepy-1", Profile.ENVIRONMENT_SENSOR)
                .serverUri(server.server().coapUri()).security(DeviceSecurity.none()).lifetime(Duration.ofSeconds(60))
                .queueMode(Duration.ofSeconds(8)).build());
        await().atMost(Duration.ofSeconds(30)).until(
                () -> server.api().get("/api/v1/devices/sleepy-1").json().get("status").asText().equals("sleeping"));

        browser.signIn("admin", TestServer.ADMIN_PASSWORD);
        browser.open("#/devices/sleepy-1");
        browser.waitUntil(d -> d.findElement(By.id("device-status")).getText().equals("sleeping"));
        browser.waitFor(By.cssSelector("#objects details[data-object='3'] summary")).click();
        browser.waitFor(By.cssSelector("tr[data-resource='/3/0/14'] button[data-op='write']")).click();
        WebElement value = browser.waitFor(By.cssSelector("form[data-form='write'] [name='value']"));
        value.sendKeys("+05:00");
        // Sent just after the device falls asleep, so it surely waits (the device sleeps 8 s at a time, the server
        // counts it asleep 1 s after it last talked: 7 s to send the write).
        await().atMost(Duration.ofSeconds(30)).until(() -> !status("sleepy-1").equals("sleeping"));
        await().atMost(Duration.ofSeconds(30)).until(() -> status("sleepy-1").equals("sleeping"));
        value.sendKeys(Keys.ENTER);
        // Queued: it shows under pending operations, then runs when the device wakes.
        browser.waitUntil(d -> d.findElement(By.id("pending")).getText().contains("pending"));
        browser.waitUntil(d -> d.findElement(By.id("pending")).getText().contains("succeeded"), Duration.ofSeconds(60));
        assertThat(sleeper.objects().device().utcOffset()).isEqualTo("+05:00");
    }

    private static String status(String endpoint) {
        return server.api().get("/api/v1/devices/" + endpoint).json().get("status").asText();
    }
}