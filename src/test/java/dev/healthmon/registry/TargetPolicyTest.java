package dev.healthmon.registry;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

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

    @Test
    void allowListWinsOverDenyList() throws Exception {
        TargetPolicy policy = TargetPolicy.of(List.of("10.0.0.0/8"), List.of("169.254.10.0/24"));
        assertThat(policy.refusal(InetAddress.getByName("169.254.10.5"))).isEmpty();
        assertThat(policy.refusal(InetAddress.getByName("169.254.11.5"))).isPresent();
        assertThat(policy.refusal(InetAddress.getByName("10.9.9.9"))).hasValueSatisfying(r -> assertThat(r).contains("10.0.0.0/8"));
    }

    @Test
    void badCidrIsNamedInTheError() {
        assertThatThrownBy(() -> TargetPolicy.of(List.of("10.0.0.0/33"), List.of())).hasMessageContaining("\"10.0.0.0/33\"");
        assertThatThrownBy(() -> Cidr.parse("example.com/8")).hasMessageContaining("not a CIDR range");
    }

    @Test
    void registrationWithAMetadataAddressGoesToTheDeadLetterTopic() {
        RegistrationCodec codec = new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD);
        for (String url : List.of("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/")) {
            DecodedRegistration decoded = codec.decode("m".getBytes(StandardCharsets.UTF_8), bytes(json("m", url)));
            assertThat(decoded).isInstanceOfSatisfying(DecodedRegistration.Invalid.class, invalid -> {
                assertThat(invalid.error().field()).isEqualTo("url");
                assertThat(invalid.error().problem()).contains("denied range");
            });
        }
    }

    @Test
    void hostNamesAreJudgedByTheProbeNotTheCodec() {
        RegistrationCodec codec = new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD);
        assertThat(codec.decode("m".getBytes(StandardCharsets.UTF_8), bytes(json("m", "http://metadata.internal/"))))
                .isInstanceOf(DecodedRegistration.Valid.class);
    }
}
