package dev.healthmon.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.transport.HttpServletSseServerTransportProvider;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real MCP server for probe tests: the SDK's own server ({@code McpServer} over its servlet
 * transports) in an embedded Jetty on loopback, behind a filter that records what clients send
 * and misbehaves on cue (requires a token, answers slowly, hangs after {@code initialize},
 * answers {@code ping} with a JSON-RPC error, rate-limits, forgets sessions, answers a hung request late).
 */
public final class McpTestServer implements AutoCloseable {

    /** Which MCP transport the server speaks. */
    public enum Kind { STREAMABLE_HTTP, SSE }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server jetty;
    private final McpAsyncServer mcp;
    private final String url;
    private final Behaviour behaviour = new Behaviour();

    /** What the filter does; tests change it while the server runs. */
    public static final class Behaviour {
        public volatile Supplier<String> requiredAuthorization;
        public volatile Duration delay = Duration.ZERO;
        public volatile boolean hangAfterInitialize;
        public volatile boolean pingError;
        public volatile boolean rateLimited;
        final Set<String> forgottenSessions = ConcurrentHashMap.newKeySet();
        final Set<String> seenSessions = ConcurrentHashMap.newKeySet();
        final Map<String, AtomicInteger> methods = new ConcurrentHashMap<>();
        final List<Map<String, String>> requestHeaders = new CopyOnWriteArrayList<>();
        final List<String> clientNames = new CopyOnWriteArrayList<>();
        final Map<String, List<String>> sessionsByMethod = new ConcurrentHashMap<>();
        final CountDownLatch released = new CountDownLatch(1);
        /** The status a hung request finally gets when {@link #releaseHung()} lets it go (0: none, as on close). */
        public volatile int lateStatus;
        /** Requests held by {@code hangAfterInitialize} so far, and those since let go. */
        public final AtomicInteger hung = new AtomicInteger();
        public final AtomicInteger letGo = new AtomicInteger();
    }

    public static McpTestServer start(Kind kind, boolean advertiseTools) throws Exception {
        return new McpTestServer(kind, advertiseTools);
    }

    private McpTestServer(Kind kind, boolean advertiseTools) throws Exception {
        HttpServlet servlet;
        McpSchema.ServerCapabilities.Builder capabilities = McpSchema.ServerCapabilities.builder();
        if (advertiseTools) {
            capabilities.tools(false);
        }
        String path;
        if (kind == Kind.STREAMABLE_HTTP) {
            HttpServletStreamableServerTransportProvider provider =
                    HttpServletStreamableServerTransportProvider.builder().mcpEndpoint("/mcp").build();
            servlet = provider;
            mcp = McpServer.async(provider).serverInfo("test-mcp-server",
                    "9.9.9").capabilities(capabilities.build()).build();
            path = "/mcp";
        } else {
            HttpServletSseServerTransportProvider provider = HttpServletSseServerTransportProvider.builder()
                    .messageEndpoint("/mcp/message").sseEndpoint("/sse").build();
            servlet = provider;
            mcp = McpServer.async(provider).serverInfo("test-mcp-server",
                    "9.9.9").capabilities(capabilities.build()).build();
            path = "/sse";
        }
        jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder holder = new ServletHolder(servlet);
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/*");
        FilterHolder filter = new FilterHolder(new MisbehavingFilter(behaviour));
        filter.setAsyncSupported(true);
        context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
        jetty.setHandler(context);
        jetty.start();
        url = "http://127.0.0.1:" + connector.getLocalPort() + path;
    }

    public String url() {
        return url;
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    /** How many JSON-RPC requests with this method the server received. */
    public int requests(String method) {
        AtomicInteger count = behaviour.methods.get(method);
        return count == null ? 0 : count.get();
    }

    /**
     * Headers (lower-case names, plus {@code :method} and the client's {@code :remote-port}, which tells
     * connections apart) of every request received so far, in order: a copy, because the client's event
     * stream and session close may still be arriving while a test reads it.
     */
    public List<Map<String, String>> requestHeaders() {
        return List.copyOf(behaviour.requestHeaders);
    }

    /** {@code clientInfo.name} of every {@code initialize} received. */
    public List<String> clientNames() {
        return behaviour.clientNames;
    }

    /**
     * The session each JSON-RPC request with this method came on, in order of arrival (empty string
     * for none, as for {@code initialize} on streamable HTTP).
     */
    public List<String> sessionsOf(String method) {
        return List.copyOf(behaviour.sessionsByMethod.getOrDefault(method, List.of()));
    }

    /** Lets every request held by {@code hangAfterInitialize} go, answered with {@code lateStatus}. */
    public void releaseHung() {
        behaviour.released.countDown();
    }

    /**
     * From now on, every session the server has handed out is unknown to it (404), as after a restart:
     * the {@code Mcp-Session-Id} of streamable HTTP and the {@code sessionId} of the SSE transport alike.
     */
    public void forgetSessions() {
        behaviour.forgottenSessions.addAll(behaviour.seenSessions);
    }

    @Override
    public void close() throws Exception {
        behaviour.released.countDown();
        mcp.closeGracefully().block(Duration.ofSeconds(5));
        jetty.stop();
    }

    private static final class MisbehavingFilter implements Filter {
        private final Behaviour b;

        MisbehavingFilter(Behaviour behaviour) {
            this.b = behaviour;
        }

        @Override
        public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException,
                ServletException {
            HttpServletRequest request = (HttpServletRequest) req;
            HttpServletResponse response = (HttpServletResponse) res;
            Map<String, String> headers = new ConcurrentHashMap<>();
            for (String name : Collections.list(request.getHeaderNames())) {
                headers.put(name.toLowerCase(Locale.ROOT), request.getHeader(name));
            }
            headers.put(":method", request.getMethod());
            headers.put(":remote-port", String.valueOf(request.getRemotePort()));
            b.requestHeaders.add(headers);
            byte[] body = request.getInputStream().readAllBytes();
            JsonNode message = body.length == 0 ? null : JSON.readTree(body);
            String method = message == null || !message.has("method") ? "" : message.get("method").asText();
            if (method.equals("initialize")) {
                b.clientNames.add(message.path("params").path("clientInfo").path("name").asText());
            }
            String session = sessionOf(request);
            if (!method.isEmpty()) {
                b.methods.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
                b.sessionsByMethod.computeIfAbsent(method, m -> new CopyOnWriteArrayList<>())
                        .add(session == null ? "" : session);
            }
            if (session != null) {
                b.seenSessions.add(session);
            }
            Supplier<String> required = b.requiredAuthorization;
            if (required != null && !required.get().equals(request.getHeader("Authorization"))) {
                response.sendError(401);
                return;
            }
            if (b.rateLimited) {
                response.setHeader("Retry-After", "7");
                response.sendError(429);
                return;
            }
            if (session != null && b.forgottenSessions.contains(session)) {
                response.sendError(404);
                return;
            }
            sleep(b.delay);
            if (b.hangAfterInitialize && message != null && message.has("id") && !method.equals("initialize")) {
                b.hung.incrementAndGet();
                await(b.released); // never answers, until released or the server closes
                try {
                    if (b.lateStatus != 0) {
                        response.sendError(b.lateStatus);
                        response.flushBuffer();
                    }
                } finally {
                    b.letGo.incrementAndGet();
                }
                return;
            }
            if (b.pingError && method.equals("ping") && request.getRequestURI().equals("/mcp")) {
                response.setStatus(200);
                response.setContentType("application/json");
                response.getWriter().write("{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id")
                        + ",\"error\":{\"code\":-32603,\"message\":\"ping handler exploded\"}}");
                return;
            }
            chain.doFilter(new CachedBody(request, body), response);
        }

        /** Streamable HTTP names the session in a header; the SSE transport in its message endpoint's query. */
        private static String sessionOf(HttpServletRequest request) {
            String header = request.getHeader("Mcp-Session-Id");
            if (header != null || request.getQueryString() == null) {
                return header;
            }
            for (String pair : request.getQueryString().split("&")) {
                if (pair.startsWith("sessionId=")) {
                    return URLDecoder.decode(pair.substring("sessionId=".length()), StandardCharsets.UTF_8);
                }
            }
            return null;
        }

        private static void sleep(Duration delay) {
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay.toMillis()); // simulates a slow server; no test waits on this
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private static void await(CountDownLatch latch) {
            try {
                latch.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The request with its body read into memory, so the filter could look at it first. */
    private static final class CachedBody extends HttpServletRequestWrapper {
        private final byte[] body;

        CachedBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
