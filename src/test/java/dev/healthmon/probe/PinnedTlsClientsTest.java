package dev.healthmon.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

class PinnedTlsClientsTest {

    private static final HttpClient TEMPLATE = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).build();

    private static PinnedTlsClients clients(int max) {
        return new PinnedTlsClients(TEMPLATE, PinnedTlsClientsTest::tls, max);
    }

    private static SSLContext tls() {
        try {
            return SSLContext.getDefault();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aNameAndPortKeepOneClientWhateverTheCaseOrTrailingDot() {
        PinnedTlsClients pinned = clients(8);

        HttpClient first = pinned.client("mcp.test", 443);

        assertThat(pinned.client("MCP.Test", 443)).isSameAs(first);
        assertThat(pinned.client("mcp.test.", 443)).isSameAs(first);
        assertThat(pinned.client("mcp.test", 8443)).isNotSameAs(first);
        assertThat(pinned.client("alias.test", 443)).isNotSameAs(first);
    }

    @Test
    void eachClientSendsItsNameAsSniAndTakesTheTemplatesSettings() {
        HttpClient client = clients(8).client("mcp.test", 443);

        assertThat(client.sslParameters().getServerNames()).singleElement()
                .satisfies(name -> assertThat(new String(name.getEncoded())).isEqualTo("mcp.test"));
        assertThat(client.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(client.followRedirects()).isEqualTo(HttpClient.Redirect.NEVER);
    }

    @Test
    void keepsOnlyTheClientsUsedLast() {
        PinnedTlsClients pinned = clients(2);
        HttpClient a = pinned.client("a.test", 443);
        HttpClient b = pinned.client("b.test", 443);
        pinned.client("a.test", 443); // a used last: b goes first

        pinned.client("c.test", 443);

        assertThat(pinned.size()).isEqualTo(2);
        assertThat(pinned.client("a.test", 443)).isSameAs(a);
        assertThat(pinned.client("b.test", 443)).isNotSameAs(b);
    }

    @Test
    void anEvictedClientNobodyHoldsEndsItsSelectorThread() {
        Set<String> before = selectorThreads();
        PinnedTlsClients pinned = clients(1);
        pinned.client("a.test", 443);
        pinned.client("b.test", 443); // a.test's client evicted and held by no one

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            System.gc(); // the JDK's selector loop notices an unreachable client only once it is collected
            Set<String> mine = selectorThreads();
            mine.removeAll(before);
            assertThat(mine).hasSize(1);
        });
        assertThat(pinned.size()).isEqualTo(1);
    }

    private static Set<String> selectorThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.matches("HttpClient-\\d+-SelectorManager")).collect(Collectors.toSet());
    }
}
