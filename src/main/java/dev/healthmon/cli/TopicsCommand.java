package dev.healthmon.cli;

import dev.healthmon.kafka.TopicAdmin;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code healthmon topics create}: creates every topic with the settings of docs/design.md §2. */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Manage healthmon's topics.",
        subcommands = TopicsCommand.Create.class)
final class TopicsCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create the registry, events, status, transitions and dead-letter topics (existing ones are "
                    + "kept); grow the events topic to the registry's partition count.")
    static final class Create implements Callable<Integer> {

        @Mixin
        KafkaOptions kafka;

        @Spec
        CommandSpec spec;

        @Option(names = "--partitions", defaultValue = "12",
                description = "Partitions of registry, events, status and transitions (default ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--replication-factor",
                description = "Replicas per partition (default: the broker's default.replication.factor).")
        Short replicationFactor;

        @Override
        public Integer call() {
            if (partitions < 1) {
                throw new IllegalArgumentException("--partitions: must be at least 1, was " + partitions);
            }
            try (TopicAdmin admin = new TopicAdmin(kafka.settings(), kafka.topics())) {
                List<String> created = admin.createTopics(partitions, Optional.ofNullable(replicationFactor));
                if (!created.isEmpty()) {
                    admin.replicationFactors(created).forEach((topic, factor) -> spec.commandLine().getOut().println(
                            "created " + topic + " (replication factor " + factor
                                    + (replicationFactor == null ? ", the broker's default)" : ")")));
                }
                admin.growEventsToRegistry().ifPresent(spec.commandLine().getOut()::println);
                TopicAdmin.Audit audit = admin.audit(partitions);
                audit.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
                if (!audit.errors().isEmpty()) {
                    audit.errors().forEach(e -> spec.commandLine().getErr().println("error: " + e));
                    return 1;
                }
                int count = admin.verifyCoPartitioned();
                spec.commandLine().getOut().println("ok: " + kafka.registryTopic + " and " + kafka.eventsTopic
                        + " have " + count + " partitions");
            }
            return 0;
        }
    }
}
