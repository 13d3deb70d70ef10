package dev.healthmon.support;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.utils.Utils;

/**
 * A real headless Chromium (Debian's {@code chromium}, or Chrome) driven over the Chrome DevTools Protocol
 * with the JDK's own HTTP and WebSocket clients: open a page, evaluate JavaScript in it, take a
 * screenshot. One page per instance; {@link #close()} kills the browser and removes its profile.
 */
public final class HeadlessChromium implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process browser;
    private final Path profile;
    private final WebSocket page;
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    /**
     * Starts Chromium (or Chrome: see {@link ChromiumBinary}) on {@code url}.
     *
     * @throws org.opentest4j.TestAbortedException when no browser is installed (the test is skipped, saying so)
     * @throws IllegalStateException when none is installed under {@code CI=true}
     */
    public static HeadlessChromium open(String url) throws Exception {
        return new HeadlessChromium(ChromiumBinary.require(System.getenv(), System.err).toString(), url);
    }

    private HeadlessChromium(String binary, String url) throws Exception {
        profile = Files.createTempDirectory("healthmon-chromium");
        browser = new ProcessBuilder(binary, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run", "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=1280,900",
                "about:blank").redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile())
                .start();
        int port = devToolsPort(profile.resolve("DevToolsActivePort"));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/json/new?" + URLEncoder.encode(url, StandardCharsets.UTF_8)))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        String socketUrl = JSON.readTree(created.body()).get("webSocketDebuggerUrl").asText();
        page = http.newWebSocketBuilder().buildAsync(URI.create(socketUrl), new Listener()).get(10, TimeUnit.SECONDS);
    }

    /** The port Chromium writes to {@code file} once DevTools listens; there is nothing to wait on but the file. */
    private int devToolsPort(Path file) {
        return await("chromium's DevTools port").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .failFast(() -> {
                    if (!browser.isAlive()) {
                        throw new IllegalStateException("chromium exited: "
                                + Files.readString(profile.resolve("chromium.log")));
                    }
                })
                .until(() -> portOnItsFirstLine(file), port -> port > 0);
    }

    /** 0 until the first line, the port, is there whole: a newline after it says it is. */
    private static int portOnItsFirstLine(Path file) throws IOException {
        String content = Files.exists(file) ? Files.readString(file) : "";
        int end = content.indexOf('\n');
        return end > 0 ? Integer.parseInt(content.substring(0, end).trim()) : 0;
    }

    /** Evaluates {@code expression} in the page and returns its value (as JSON). */
    public JsonNode evaluate(String expression) throws Exception {
        ObjectNode params = JSON.createObjectNode().put("expression", expression).put("returnByValue", true)
                .put("awaitPromise", true);
        JsonNode result = call("Runtime.evaluate", params);
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("page threw: " + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /**
     * Presses and releases one key as the keyboard would, so that the page's own handlers and the browser's focus
     * moves both see it: {@code "Tab"}, {@code "Escape"} or {@code "/"}.
     */
    public void press(String key) throws Exception {
        ObjectNode down = switch (key) {
            case "Tab" -> JSON.createObjectNode().put("key", "Tab").put("code", "Tab").put("windowsVirtualKeyCode", 9);
            case "Escape" -> JSON.createObjectNode().put("key", "Escape").put("code", "Escape")
                    .put("windowsVirtualKeyCode", 27);
            case "/" -> JSON.createObjectNode().put("key", "/").put("code", "Slash").put("windowsVirtualKeyCode", 191)
                    .put("text", "/");
            default -> throw new IllegalArgumentException("no key " + key + " in this helper");
        };
        call("Input.dispatchKeyEvent", down.deepCopy().put("type", "keyDown"));
        ObjectNode up = down.deepCopy().put("type", "keyUp");
        up.remove("text");
        call("Input.dispatchKeyEvent", up);
    }

    /** Types {@code text} into whatever has the focus, as a keyboard or input method would ({@code input} events). */
    public void type(String text) throws Exception {
        call("Input.insertText", JSON.createObjectNode().put("text", text));
    }

    /** Writes a PNG of the page as it is now. */
    public void screenshot(Path file) throws Exception {
        JsonNode shot = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(shot.get("data").asText()));
    }

    private JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", params);
        page.sendText(JSON.writeValueAsString(message), true).get(10, TimeUnit.SECONDS);
        JsonNode response = answer.get(20, TimeUnit.SECONDS);
        if (response.has("error")) {
            throw new IllegalStateException(method + " failed: " + response.get("error"));
        }
        return response.path("result");
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode message = JSON.readTree(partial.toString());
                    CompletableFuture<JsonNode> waiting = message.has("id") ? pending.remove(message.get("id").asInt())
                            : null;
                    if (waiting != null) {
                        waiting.complete(message);
                    }
                } catch (IOException e) {
                    pending.values().forEach(f -> f.completeExceptionally(e));
                }
                partial.setLength(0);
            }
            socket.request(1);
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            page.abort();
        } finally {
            browser.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            try {
                Utils.delete(profile.toFile());
            } catch (IOException e) {
                // Chromium may still be writing its profile while it dies; the temp dir is its only leftover
            }
        }
    }
}
