package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.CreateContainerCmd;
import dev.healthmon.support.DockerEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Builds docker/Dockerfile and runs the image as the compose file and the Kubernetes manifests do: a
 * read-only root filesystem with an executable /tmp, as its non-root user, {@code topics create} and
 * {@code aggregate} (RocksDB loads its native library) against a broker from the apache/kafka image. Needs
 * a Docker engine (Testcontainers); elsewhere it is skipped, saying so. ComposeFileTest checks the same
 * files without one.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES) // the image's first stage runs a Maven build
class DockerImageIT {

    private static final String KAFKA_IMAGE = "apache/kafka:" + AppInfoParser.getVersion();

    /** What docker/Dockerfile's build stage copies, at the paths it expects (the build context is the repository). */
    private static ImageFromDockerfile image() {
        ImageFromDockerfile image = new ImageFromDockerfile("healthmon-it", true);
        for (String path : new String[] {"pom.xml", "config", "schemas", "src", "docker/Dockerfile"}) {
            image.withFileFromPath(path, Path.of(path));
        }
        return image.withDockerfilePath("docker/Dockerfile");
    }

    /** As compose's read_only: true with tmpfs /tmp:exec, and Kubernetes' readOnlyRootFilesystem with an emptyDir. */
    private static final Consumer<CreateContainerCmd> READ_ONLY_ROOT = command -> command.getHostConfig()
            .withReadonlyRootfs(true).withTmpFs(Map.of("/tmp", "rw,exec"));

    @Test
    void imageRunsTopicsCreateAndAnAggregatorAsItsUserOnAReadOnlyRoot() throws Exception {
        DockerEngine.require("DockerImageIT (builds and runs docker/Dockerfile)");
        ImageFromDockerfile image = image();
        try (Network network = Network.newNetwork();
             KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE).withNetwork(network).withListener("kafka:19092");
             GenericContainer<?> topics = new GenericContainer<>(image).withNetwork(network)
                     .withCreateContainerCmdModifier(READ_ONLY_ROOT)
                     .withCommand("topics", "create", "--bootstrap-servers", "kafka:19092", "--partitions", "3")
                     .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(2)));
             GenericContainer<?> aggregator = new GenericContainer<>(image).withNetwork(network)
                     .withCreateContainerCmdModifier(READ_ONLY_ROOT)
                     .withCommand("aggregate", "--bootstrap-servers", "kafka:19092", "--state-dir",
                             "/var/lib/healthmon/streams", "--standby-replicas", "0")
                     .withExposedPorts(8080)
                     .waitingFor(Wait.forHttp("/readyz").forStatusCode(200)
                             .withStartupTimeout(Duration.ofMinutes(3)))) {
            kafka.start();
            topics.start(); // one-shot: fails unless it exits 0
            assertThat(topics.getLogs()).contains("ok: backend-registry and health-events have 3 partitions");

            aggregator.start();
            ExecResult user = aggregator.execInContainer("id", "-u");
            assertThat(user.getStdout().strip()).isEqualTo("10001");
            assertThat(aggregator.getLogs()).doesNotContain("UnsatisfiedLinkError").doesNotContain("Read-only file");
        }
    }
}
