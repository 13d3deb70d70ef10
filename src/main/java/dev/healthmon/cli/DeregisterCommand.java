package dev.healthmon.cli;

import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.registry.RegistryWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code healthmon deregister ID…}: publishes a tombstone per id to every registry partition, so it
 * reaches the registration whichever partitioner wrote it; its check stops and its status is deleted.
 */
@Command(name = "deregister", mixinStandardHelpOptions = true,
        description = "Publish tombstones for backend ids, to every registry partition.")
final class DeregisterCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "ID", description = "Backend ids to deregister.")
    List<String> ids;

    @Override
    public Integer call() {
        for (String id : ids) {
            if (!RegistrationCodec.ID_PATTERN.matcher(id).matches()) {
                throw new IllegalArgumentException("ID " + id + ": must match [A-Za-z0-9._-]{1,200}");
            }
        }
        try (RegistryWriter writer = new RegistryWriter(kafka.settings(), kafka.registryTopic)) {
            for (String id : ids) {
                List<RecordMetadata> at = writer.deregister(id);
                spec.commandLine().getOut().printf("deregistered %s: tombstones in %d partitions of %s%n", id,
                        at.size(), kafka.registryTopic);
            }
        }
        return 0;
    }
}
