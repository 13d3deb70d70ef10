package dev.healthmon.target;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationCodec;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetPolicyTest {

    @ParameterizedTest(name = "{0} refused: {1}")
    @CsvSource({
            "169.254.169.254, true",   // AWS/GCP/Azure metadata
            "169.254.0.1, true",
            "fe80::1, true",
            "fd00:ec2::254, true",     // AWS IPv6 metadata
            "fd00:ec2::253, false",
            "127.0.0.1, false",        // loopback and private ranges are allowed by default
            "10.1.2.3, false",
            "192.168.0.10, false",
            "::1, false",
            "8.8.8.8, false"})
    void defaultPolicyRefusesLinkLocalAndMetadataOnly(String address, boolean refused) throws Exception {
        assertThat(TargetPolicy.DEFAULT.refusal(InetAddress.getByName(address)).isPresent()).isEqualTo(refused);
    }

    /** A monitor run with {@code --deny-target-cidr 127.0.0.0/8 --deny-target-cidr ::1/128}. */
    private static final TargetPolicy NO_LOOPBACK = TargetPolicy.of(List.of("127.0.0.0/8", "::1/128"), List.of());

    @ParameterizedTest(name = "{0} refused with \"{1}\"")
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1              | denied range 127.0.0.0/8",
            "127.1                  | denied range 127.0.0.0/8",         // the JDK's short literal forms
            "2130706433             | denied range 127.0.0.0/8",
            "0.0.0.0                | this host",
            "0                      | this host",
            "0.1.2.3                | this host",
            "[::]                   | this host",
            "[::1]                  | denied range ::1/128",
            "[::ffff:127.0.0.1]     | embeds 127.0.0.1",
            "[::ffff:7f00:1]        | embeds 127.0.0.1",
            "[::ffff:0.0.0.0]       | this host",
            "[::127.0.0.1]          | embeds 127.0.0.1",
            "[64:ff9b::7f00:1]      | embeds 127.0.0.1",
            "[2002:7f00:1::1]       | embeds 127.0.0.1",
            "[::169.254.169.254]    | embeds 169.254.169.254",
            "[::ffff:169.254.169.254] | embeds 169.254.169.254",
            "[64:ff9b::a9fe:a9fe]   | embeds 169.254.169.254",
            "[2002:a9fe:a9fe::1]    | embeds 169.254.169.254",
            "169.254.169.254        | denied range 169.254.0.0/16 (link-local, cloud metadata)",
            "[fe80::1]              | denied range fe80::/10 (link-local)",
            "[::ffff:fe80::1]       | not a valid address",
            "999.1.1.1              | not a valid address"})
    void literalsAreJudgedUnderEveryNameTheyAnswerTo(String host, String fragment) {
        assertThat(NO_LOOPBACK.refusalOfLiteral(host)).hasValueSatisfying(r -> assertThat(r).contains(fragment));
    }

    @ParameterizedTest(name = "{0} allowed")
    @CsvSource({"10.0.0.1", "[::ffff:10.0.0.1]", "[64:ff9b::808:808]", "[2002:808:808::1]", "[::8.8.8.8]",
            "[2001:db8::1]", "8.8.8.8", "[fd00:ec2::253]"})
    void embeddedAddressesOutsideTheDeniedRangesAreAllowed(String host) {
        assertThat(NO_LOOPBACK.refusalOfLiteral(host)).isEmpty();
    }

    @Test
    void thisHostIsAllowedWhereLoopbackIsAllowedAndDeniedWhereItIsDenied() {
        assertThat(TargetPolicy.DEFAULT.refusalOfLiteral("0.0.0.0")).isEmpty();
        assertThat(TargetPolicy.DEFAULT.refusalOfLiteral("[::]")).isEmpty();
        TargetPolicy allowedBack = TargetPolicy.of(List.of("127.0.0.0/8"), List.of("127.0.0.0/8"));
        assertThat(allowedBack.refusalOfLiteral("0.0.0.0")).isEmpty();
        assertThat(TargetPolicy.of(List.of("0.0.0.0/8"), List.of()).refusalOfLiteral("0.0.0.0"))
                .hasValueSatisfying(r -> assertThat(r).contains("denied range 0.0.0.0/8"));
    }

    @Test
    void embeddedIpv4IsAllowedWhenItsRangeIsAllowed() {
        TargetPolicy allowMetadata = TargetPolicy.of(List.of(), List.of("169.254.169.254/32"));
        assertThat(allowMetadata.refusalOfLiteral("[64:ff9b::a9fe:a9fe]")).isEmpty();
        assertThat(allowMetadata.refusalOfLiteral("[2002:a9fe:a9fe::1]")).isEmpty();
    }

    @Test
    void anIpv6RangeAppliesToTheIpv6FormToo() {
        TargetPolicy noNat64 = TargetPolicy.of(List.of("64:ff9b::/96", "::ffff:0:0/96"), List.of());
        assertThat(noNat64.refusalOfLiteral("[64:ff9b::808:808]"))
                .hasValueSatisfying(r -> assertThat(r).contains("denied range 64:ff9b::/96"));
        assertThat(noNat64.refusalOfLiteral("[::ffff:8.8.8.8]"))
                .hasValueSatisfying(r -> assertThat(r).contains("denied range ::ffff:0:0/96"));
    }

    @Test
    void refusalNamesTheRuleThatMatched() throws Exception {
        TargetPolicy policy = TargetPolicy.of(List.of("10.0.0.0/8"), List.of());
        assertThat(policy.refusal(InetAddress.getByName("10.1.1.1"))).hasValueSatisfying(r -> assertThat(r)
                .contains("denied range 10.0.0.0/8 (--deny-target-cidr)").doesNotContain("metadata"));
    }

    @Test
    void allowListWinsOverDenyList() throws Exception {
        TargetPolicy policy = TargetPolicy.of(List.of("10.0.0.0/8"), List.of("169.254.10.0/24"));
        assertThat(policy.refusal(InetAddress.getByName("169.254.10.5"))).isEmpty();
        assertThat(policy.refusal(InetAddress.getByName("169.254.11.5"))).isPresent();
        assertThat(policy.refusal(InetAddress.getByName("10.9.9.9"))).hasValueSatisfying(r
                -> assertThat(r).contains("10.0.0.0/8"));
    }

    @Test
    void badCidrIsNamedInTheError() {
        assertThatThrownBy(() -> TargetPolicy.of(List.of("10.0.0.0/33"),
                List.of())).hasMessageContaining("\"10.0.0.0/33\"");
        assertThatThrownBy(() -> Cidr.parse("example.com/8")).hasMessageContaining("not a CIDR range");
    }

    @Test
    void registrationWithAMetadataAddressGoesToTheDeadLetterTopic() {
        RegistrationCodec codec = new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD);
        for (String url : List.of("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                "http://[::ffff:169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::1]/")) {
            DecodedRegistration decoded = codec.decode("m".getBytes(StandardCharsets.UTF_8), bytes(json("m", url)));
            assertThat(decoded).isInstanceOfSatisfying(DecodedRegistration.Invalid.class, invalid -> {
                assertThat(invalid.error().field()).isEqualTo("url");
                assertThat(invalid.error().problem()).contains("denied range");
            });
        }
    }

    @ParameterizedTest(name = "{0} dead-lettered with \"{1}\"")
    @CsvSource(delimiter = '|', value = {
            "http://0.0.0.0:8080/              | this host",
            "http://0:8080/                    | this host",
            "http://[::]:8080/                 | this host",
            "http://[::ffff:127.0.0.1]:8080/   | embeds 127.0.0.1",
            "http://[::1]:8080/                | denied range ::1/128",
            "http://127.1:8080/                | must name a host"}) // java.net.URI finds no host in 127.1
    void registrationReachingADeniedLoopbackByAnotherSpellingGoesToTheDeadLetterTopic(String url, String fragment) {
        RegistrationCodec codec = new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD, NO_LOOPBACK);
        DecodedRegistration decoded = codec.decode("m".getBytes(StandardCharsets.UTF_8), bytes(json("m", url)));
        assertThat(decoded).isInstanceOfSatisfying(DecodedRegistration.Invalid.class, invalid -> {
            assertThat(invalid.error().field()).isEqualTo("url");
            assertThat(invalid.error().problem()).contains(fragment);
        });
    }

    @Test
    void cidrKeepsIpv4MappedRangesAsIpv6() {
        Cidr mapped = Cidr.parse("::ffff:0:0/96");
        assertThat(mapped.network()).hasSize(16);
        assertThat(mapped.contains(IpLiteral.parse("::ffff:1.2.3.4").orElseThrow())).isTrue();
        assertThat(mapped.contains(IpLiteral.parse("1.2.3.4").orElseThrow())).isFalse();
    }

    @Test
    void hostNamesAreJudgedByTheProbeNotTheCodec() {
        RegistrationCodec codec = new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD);
        assertThat(codec.decode("m".getBytes(StandardCharsets.UTF_8), bytes(json("m", "http://metadata.internal/"))))
                .isInstanceOf(DecodedRegistration.Valid.class);
    }
}
