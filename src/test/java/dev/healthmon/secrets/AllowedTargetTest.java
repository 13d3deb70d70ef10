package dev.healthmon.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Where a bound secret may go: the matching cannot be fooled by spelling the same or another host differently. */
class AllowedTargetTest {

    @ParameterizedTest(name = "{0} admits {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health            | true
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/live       | true
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/           | true
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health?deep=1     | true
            https://api.team-a.internal:8443/health | https://API.Team-A.internal:8443/health            | true
            https://api.team-a.internal:8443/health | HTTPS://api.team-a.internal:8443/health            | true
            https://api.team-a.internal:8443/health | https://api.team-a.internal.:8443/health           | true
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/healthz           | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/                  | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8444/health            | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal/health                 | false
            https://api.team-a.internal:8443/health | http://api.team-a.internal:8443/health             | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal.evil.com:8443/health   | false
            https://api.team-a.internal:8443/health | https://evil.com:8443/health                       | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443@evil.com/health   | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal@evil.com:8443/health   | false
            https://api.team-a.internal:8443/health | https://x:y@api.team-a.internal:8443/health        | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/../admin   | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/%2e%2e/adm | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/%2E./admin | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/..;/admin  | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health%2f..%2fadm | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/%252e%252e | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health/./x        | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/health%5c..%5cadm | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal..:8443/health          | false
            https://api.team-a.internal:8443/health | https://api.team-a.internal:8443/%68ealth          | true
            https://api.team-a.internal/            | https://api.team-a.internal:443/anything           | true
            https://api.team-a.internal:443         | https://api.team-a.internal/anything               | true
            http://api.team-a.internal              | http://api.team-a.internal:80/x                    | true
            http://api.team-a.internal              | https://api.team-a.internal/x                      | false
            http://api.team-a.internal              | http://api.team-a.internal:443/x                   | false
            http://127.0.0.1:8080/                  | http://127.0.0.1:8080/x                            | true
            http://127.0.0.1:8080/                  | http://127.1:8080/x                                | false
            http://127.0.0.1:8080/                  | http://127.0.0.1.evil.com:8080/x                   | false
            http://127.0.0.1:8080/                  | http://[::ffff:127.0.0.1]:8080/x                   | false
            http://[::1]:8080/                      | http://[0:0:0:0:0:0:0:1]:8080/x                    | true
            http://[::1]:8080/                      | http://[0::1]:8080/x                               | true
            http://[::1]:8080/                      | http://[::2]:8080/x                                | false
            http://[fe80::1]:8080/                  | http://[fe80::1%25eth0]:8080/x                     | false
            *.team-a.svc.cluster.local              | http://api.team-a.svc.cluster.local:9000/x         | true
            *.team-a.svc.cluster.local              | https://a.b.team-a.svc.cluster.local/              | true
            *.team-a.svc.cluster.local              | https://API.TEAM-A.svc.cluster.local./             | true
            *.team-a.svc.cluster.local              | https://team-a.svc.cluster.local/                  | false
            *.team-a.svc.cluster.local              | https://evilteam-a.svc.cluster.local/              | false
            *.team-a.svc.cluster.local              | https://api.team-a.svc.cluster.local.evil.com/     | false
            *.team-a.svc.cluster.local              | https://team-a.svc.cluster.local@evil.com/         | false
            *.team-a.svc.cluster.local              | https://x.team-a.svc.cluster.local@evil.com/       | false
            *.team-a.svc.cluster.local              | https://evil.com/x.team-a.svc.cluster.local        | false
            *.team-a.svc.cluster.local              | https://evil.com/?h=x.team-a.svc.cluster.local     | false
            api.team-a.internal                     | http://api.team-a.internal:1234/any                | true
            api.team-a.internal                     | http://api.team-a.internal.evil.com/               | false
            api.team-a.internal                     | http://x.api.team-a.internal/                      | false
            10.1.2.3                                | http://10.1.2.3:81/                                | true
            10.1.2.3                                | http://10.1.2.30/                                  | false
            """)
    void admitsOnlyTheSameTarget(String allowed, String url, boolean admitted) {
        assertThat(AllowedTarget.parse(allowed).admits(URI.create(url))).isEqualTo(admitted);
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "*.", "*.com.", "*.0.0.1", "*.*.example.com", "ftp://a.test/", "https://a.test/x?y=1",
            "https://a.test/#f", "https://u@a.test/", "https://a.test/a/../b", "a.test/path", "", "exa mple.com",
            "https://[fe80::1%25eth0]/", "foo*.example.com"})
    void refusesTargetsThatCannotBeMatchedSafely(String target) {
        assertThatThrownBy(() -> AllowedTarget.parse(target)).isInstanceOf(IllegalArgumentException.class);
    }
}
