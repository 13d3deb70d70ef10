package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.support.Registrations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The compose file and the image cannot be built or run here (no Docker engine), so their parts are
 * checked against the code: every healthmon service's command goes through the real CLI parser with
 * the service's environment, every HEALTHMON_* variable is a real setting of that command, ports agree
 * with the settings and the Dockerfile, the sample registrations are valid and point at the samples;
 * the image runs the slim jar the pom builds, as a non-root user, writing only to its volumes, and the
 * services run it on a read-only root filesystem.
 */
class ComposeFileTest {

    private static final Path COMPOSE = Path.of("docker", "docker-compose.yml");
    private static final DockerImageFile IMAGE = DockerImageFile.read();
    private final JsonNode services = read(COMPOSE).path("services");

    private static JsonNode read(Path file) {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Service(String name, List<String> command, Map<String, String> environment) {}

    private List<Service> healthmonServices() {
        List<Service> found = new ArrayList<>();
        services.fields().forEachRemaining(e -> {
            if (e.getValue().path("image").asText().equals("healthmon:local")) {
                List<String> command = new ArrayList<>();
                e.getValue().path("command").forEach(c -> command.add(c.asText()));
                Map<String, String> env = new LinkedHashMap<>();
                e.getValue().path("environment").fields().forEachRemaining(v
                        -> env.put(v.getKey(), v.getValue().asText()));
                found.add(new Service(e.getKey(), command, env));
            }
        });
        return found;
    }

    private static CommandSpec parse(Service service) {
        CommandLine.ParseResult result = HealthmonCli.commandLine(service.environment())
                .parseArgs(service.command().toArray(new String[0]));
        while (result.hasSubcommand()) {
            result = result.subcommand();
        }
        return result.commandSpec();
    }

    private static String value(CommandSpec command, String option) {
        return String.valueOf((Object) command.findOption(option).getValue());
    }

    @Test
    void everyHealthmonServiceParsesAndUsesOnlyRealSettings() {
        List<Service> healthmon = healthmonServices();
        assertThat(healthmon).extracting(Service::name)
                .contains("topics", "backends", "register-samples", "monitor", "aggregator");
        for (Service service : healthmon) {
            CommandSpec command = parse(service);
            List<String> settings = SettingsProvider.settingNames(command).stream().map(SettingsProvider::envName)
                    .toList();
            assertThat(service.environment().keySet()).as("environment of %s", service.name()).allSatisfy(name ->
                    assertThat(settings).as("%s is a setting of '%s'", name, command.name()).contains(name));
        }
    }

    @Test
    void portsAgreeWithTheSettingsAndTheDockerfile() throws Exception {
        Map<String, CommandSpec> parsed = new LinkedHashMap<>();
        healthmonServices().forEach(s -> parsed.put(s.name(), parse(s)));
        String aggregatorPort = value(parsed.get("aggregator"), "--http-port");
        String monitorPort = value(parsed.get("monitor"), "--http-port");
        assertThat(services.path("aggregator").path("ports").get(0).asText()).endsWith(":" + aggregatorPort);
        assertThat(services.path("monitor").path("expose").get(0).asText()).isEqualTo(monitorPort);
        assertThat(IMAGE.last("EXPOSE")).contains(aggregatorPort + " " + monitorPort);
        assertThat(services.path("monitor").path("deploy").path("replicas").asInt()).isEqualTo(2);
    }

    @Test
    void theImageRunsTheSlimJarThatThePomBuilds() {
        String slimJar = DockerImageFile.fromPom("//plugin[artifactId='maven-shade-plugin']"
                + "//execution[id='slim']/configuration/finalName") + ".jar";
        assertThat(slimJar).isEqualTo("healthmon-slim.jar");

        assertThat(IMAGE.image()).contains("COPY --from=build /src/target/" + slimJar + " /opt/healthmon/" + slimJar);
        assertThat(IMAGE.jar()).isEqualTo("/opt/healthmon/" + slimJar);
    }

    @Test
    void theBuildStageCopiesEverythingTheBuildReads() {
        // validate runs Checkstyle with this file: a build stage without it fails before compiling.
        String checkstyle = DockerImageFile.fromPom("//plugin[artifactId='maven-checkstyle-plugin']"
                + "/configuration/configLocation");
        String folder = Path.of(checkstyle).getName(0).toString();

        assertThat(IMAGE.buildStage()).contains("COPY pom.xml .", "COPY src ./src",
                "COPY " + folder + " ./" + folder);
    }

    @Test
    void theImageRunsAsANonRootUserAndWritesOnlyToItsVolumes() {
        assertThat(IMAGE.userId()).as("USER, numeric so that runAsNonRoot can check it").matches("[1-9][0-9]*");
        List<String> volumes = IMAGE.volumes();
        assertThat(volumes).as("the working directory, where the aggregator's state goes")
                .contains(IMAGE.last("WORKDIR").orElseThrow());
        assertThat(IMAGE.systemProperty("java.io.tmpdir")).as("java.io.tmpdir: native libraries are unpacked there")
                .hasValueSatisfying(tmp -> assertThat(volumes).contains(tmp));
        // No hsperfdata file, no JVM left running after an OutOfMemoryError.
        assertThat(IMAGE.entrypoint()).contains("-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void everyHealthmonServiceRunsOnAReadOnlyRootWithAnExecutableTmpAndTheStateOnAVolume() {
        String tmp = IMAGE.systemProperty("java.io.tmpdir").orElseThrow();
        for (Service service : healthmonServices()) {
            JsonNode definition = services.path(service.name());
            assertThat(definition.path("read_only").asBoolean()).as("%s read_only", service.name()).isTrue();
            List<String> tmpfs = new ArrayList<>();
            definition.path("tmpfs").forEach(t -> tmpfs.add(t.asText()));
            // Docker mounts a tmpfs noexec unless told: RocksDB, zstd and snappy could not load their libraries.
            assertThat(tmpfs).as("%s tmpfs", service.name()).contains(tmp + ":exec");
        }
        JsonNode aggregator = services.path("aggregator");
        String stateDir = aggregator.path("environment").path("HEALTHMON_STATE_DIR").asText();
        String mount = aggregator.path("volumes").get(0).asText();
        String volume = mount.substring(0, mount.indexOf(':'));
        String target = mount.substring(mount.indexOf(':') + 1);
        assertThat(read(COMPOSE).path("volumes").has(volume)).as("named volume %s declared", volume).isTrue();
        assertThat(IMAGE.volumes()).contains(target);
        assertThat(stateDir).startsWith(target + "/");
    }

    @Test
    void servicesShareTheDefaultTopicsAndTheBrokerAddress() {
        for (Service service : healthmonServices()) {
            CommandSpec command = parse(service);
            if (command.findOption("--bootstrap-servers") != null) {
                assertThat(value(command, "--bootstrap-servers")).as(service.name()).isEqualTo("kafka:9092");
                assertThat(value(command, "--registry-topic")).isEqualTo(Topics.DEFAULTS.registry());
                assertThat(value(command, "--events-topic")).isEqualTo(Topics.DEFAULTS.events());
            }
        }
        String listeners = services.path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        assertThat(listeners).isEqualTo("PLAINTEXT://kafka:9092");
        assertThat(services.path("kafka").path("image").asText())
                .isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
    }

    @Test
    void sampleRegistrationsAreValidAndPointAtTheSampleBackends() throws Exception {
        CommandSpec backends = parse(healthmonServices().stream().filter(s
                -> s.name().equals("backends")).findFirst().orElseThrow());
        int port = Integer.parseInt(value(backends, "--port"));
        JsonNode samples = new ObjectMapper().readTree(Files.readString(Path.of("docker",
                "sample-registrations.json")));
        assertThat(samples).hasSize(5);
        for (JsonNode sample : samples) {
            DecodedRegistration decoded = Registrations.CODEC.decode(sample.get("id").asText()
                    .getBytes(StandardCharsets.UTF_8),
                    new ObjectMapper().writeValueAsBytes(sample));
            assertThat(decoded).as(sample.toString()).isInstanceOf(DecodedRegistration.Valid.class);
            URI url = URI.create(sample.get("url").asText());
            assertThat(url.getHost()).isEqualTo("backends");
            assertThat(url.getPort()).isEqualTo(sample.get("id").asText().equals("sample-dead") ? port + 1 : port);
        }
    }
}
