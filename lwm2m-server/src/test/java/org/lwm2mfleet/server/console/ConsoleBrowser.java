package org.lwm2mfleet.server.console;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One headless Debian Chromium for a test class (started before all its tests, closed after), with the helpers the
 * console journeys share. A failed test leaves a screenshot and the browser's console log in
 * {@code target/console-failures/}. With {@code -Dconsole.screenshots=<folder>} the journeys also write the pictures
 * of {@code docs/console.md} there ({@link #document}).
 */
public final class ConsoleBrowser implements BeforeAllCallback, AfterAllCallback, TestWatcher {

    static final String CHROMIUM = System.getProperty("console.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("console.chromedriver", "/usr/bin/chromedriver");

    private ChromeDriver driver;
    private URI base;

    @Override
    public void beforeAll(ExtensionContext context) {
        for (String binary : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(Path.of(binary))) {
                throw new IllegalStateException(binary + " is missing: the console's browser tests need Debian's"
                        + " chromium and chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does it)");
            }
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=en-US", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-default-apps", "--disable-sync");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new java.io.File(CHROMEDRIVER)).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (driver != null) {
            driver.quit();
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        if (driver == null) {
            return;
        }
        try {
            Path folder = Files.createDirectories(Path.of("target", "console-failures"));
            String name = context.getRequiredTestClass().getSimpleName() + "-" + context.getRequiredTestMethod().getName();
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), folder.resolve(name + ".png"),
                    StandardCopyOption.REPLACE_EXISTING);
            StringBuilder log = new StringBuilder("URL: " + driver.getCurrentUrl() + "\n");
            for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
                log.append(entry).append('\n');
            }
            Files.writeString(folder.resolve(name + ".log"), log);
        } catch (Exception e) {
            System.err.println("no screenshot of the failure: " + e);
        }
    }

    public WebDriver driver() {
        return driver;
    }

    /** The server the pages come from. */
    public void base(URI base) {
        this.base = base;
    }

    /** Opens a page of the console, e.g. {@code #/devices}. */
    public void open(String hash) {
        String target = base.resolve("/").toString() + hash;
        if (driver.getCurrentUrl().startsWith(base.resolve("/").toString()) && !hash.isEmpty()) {
            // Same document: change the hash only, as a person clicking a link does.
            ((JavascriptExecutor) driver).executeScript("location.hash = arguments[0]", hash);
        } else {
            driver.get(target);
        }
    }

    /** Signs out whoever is signed in and signs in as this user, landing on the overview. */
    public void signIn(String username, String password) {
        driver.get(base.resolve("/").toString());
        driver.manage().deleteAllCookies();
        driver.get(base.resolve("/").toString() + "#/");
        WebElement user = waitFor(By.id("signin-username"));
        user.sendKeys(username);
        driver.findElement(By.id("signin-password")).sendKeys(password);
        driver.findElement(By.cssSelector("#signin-form button[type=submit]")).click();
        waitUntil(d -> d.findElement(By.id("who-name")).isDisplayed()
                && d.findElement(By.id("who-name")).getText().equals(username));
    }

    public WebElement waitFor(By by) {
        return waitFor(by, Duration.ofSeconds(15));
    }

    public WebElement waitFor(By by, Duration timeout) {
        return new WebDriverWait(driver, timeout).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Clicks an element, again if a live update replaced it in between. */
    public void click(By by) {
        waitUntil(d -> {
            d.findElement(by).click();
            return true;
        });
    }

    public <T> T waitUntil(java.util.function.Function<WebDriver, T> condition) {
        return waitUntil(condition, Duration.ofSeconds(15));
    }

    public <T> T waitUntil(java.util.function.Function<WebDriver, T> condition, Duration timeout) {
        return new WebDriverWait(driver, timeout).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .ignoring(org.openqa.selenium.NoSuchElementException.class).until(condition::apply);
    }

    public List<WebElement> all(By by) {
        return driver.findElements(by);
    }

    public Optional<WebElement> find(By by) {
        List<WebElement> found = driver.findElements(by);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    public Object script(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    public Object asyncScript(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
    }

    /** Errors the page logged (uncaught exceptions, failed module loads), for assertions. */
    public List<String> severeLogs() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage)
                // Refused calls (a 401 before sign-in, a 403 the test provokes) are logged by Chromium too.
                .filter(m -> !m.contains("Failed to load resource")).toList();
    }

    /** With -Dconsole.screenshots=folder: a picture of the page for the documentation. */
    public void document(String name) {
        String folder = System.getProperty("console.screenshots");
        if (folder == null || folder.isBlank()) {
            return;
        }
        try {
            Path dir = Files.createDirectories(Path.of(folder));
            // The whole page, not only the window (the header stays at the top).
            script("window.scrollTo(0, 0)");
            @SuppressWarnings("unchecked")
            Map<String, Object> content = (Map<String, Object>) driver.executeCdpCommand("Page.getLayoutMetrics",
                    Map.of()).get("cssContentSize");
            double width = ((Number) content.get("width")).doubleValue();
            double height = Math.min(2400, ((Number) content.get("height")).doubleValue());
            Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
                    "captureBeyondViewport", true,
                    "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
            Files.write(dir.resolve(name + ".png"), java.util.Base64.getDecoder().decode((String) shot.get("data")));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
