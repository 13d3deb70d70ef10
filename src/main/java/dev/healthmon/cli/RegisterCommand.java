package dev.healthmon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.json.Json;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.registry.RegistryWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code healthmon register}: publishes registrations from flags or a JSON file (one object, or an
 * array of them). Every registration is validated with the same codec the monitor uses before
 * anything is published: if any is invalid, none is published and the command exits 2 naming it.
 * Each registration goes to its id's murmur2 partition, after tombstones for the id in every other
 * partition (one id, one registration: see {@link RegistryWriter}).
 */
@Command(name = "register", mixinStandardHelpOptions = true,
        description = "Publish backend registrations to the registry topic (validated first; all or none).")
final class RegisterCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--file", paramLabel = "FILE", description = "JSON file: one registration or an array of them.")
        Path file;

        @ArgGroup(exclusive = false)
        RegistrationOptions flags;
    }

    private final ObjectMapper mapper = Json.mapper();

    @Override
    public Integer call() throws IOException {
        RegistrationCodec codec = new RegistrationCodec(mapper, CheckDefaults.STANDARD);
        List<DecodedRegistration.Valid> valid = new ArrayList<>();
        List<JsonNode> values = source.file != null ? readFile(source.file) : List.of(fromFlags(source.flags));
        for (int i = 0; i < values.size(); i++) {
            DecodedRegistration decoded = codec.decodeValue(mapper.writeValueAsBytes(values.get(i)));
            if (decoded instanceof DecodedRegistration.Invalid invalid) {
                String where = values.size() > 1 ? "entry " + i + " (id " + values.get(i).path("id").asText("?") + "): "
                        : "";
                throw new IllegalArgumentException("invalid registration, nothing published: " + where
                        + invalid.error().getMessage());
            }
            valid.add((DecodedRegistration.Valid) decoded);
        }
        try (RegistryWriter writer = new RegistryWriter(kafka.settings(), kafka.registryTopic)) {
            for (DecodedRegistration.Valid registration : valid) {
                RecordMetadata at = writer.register(registration.id(), codec.encode(registration.registration()));
                spec.commandLine().getOut().printf("registered %s at %s-%d@%d%n", registration.id(), at.topic(),
                        at.partition(), at.offset());
            }
        }
        return 0;
    }

    private List<JsonNode> readFile(Path file) throws IOException {
        JsonNode root;
        try {
            root = mapper.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("--file " + file + ": not readable JSON: " + e.getMessage());
        }
        List<JsonNode> values = new ArrayList<>();
        if (root != null && root.isArray()) {
            root.forEach(values::add);
        } else {
            values.add(root);
        }
        return values;
    }

    private JsonNode fromFlags(RegistrationOptions f) {
        ObjectNode root = mapper.createObjectNode();
        root.put("schemaVersion", RegistrationCodec.SCHEMA_VERSION);
        root.put("id", f.id);
        root.put("name", f.name != null ? f.name : f.id);
        root.put("url", f.url);
        root.put("transport", f.transport);
        ObjectNode check = mapper.createObjectNode();
        putIfSet(check, "type", f.checkType);
        putIfSet(check, "path", f.path);
        putIfSet(check, "expectStatus", f.expectStatus);
        putIfSet(check, "mcpMethod", f.mcpMethod);
        putIfSet(check, "mcpSession", f.mcpSession);
        putIfSet(check, "intervalMs", f.intervalMs);
        putIfSet(check, "timeoutMs", f.timeoutMs);
        putIfSet(check, "degradedLatencyMs", f.degradedLatencyMs);
        putIfSet(check, "unhealthyThreshold", f.unhealthyThreshold);
        putIfSet(check, "healthyThreshold", f.healthyThreshold);
        if (!check.isEmpty()) {
            root.set("healthCheck", check);
        }
        if (f.authType != null || f.secretRef != null) {
            ObjectNode auth = root.putObject("auth");
            putIfSet(auth, "type", f.authType);
            putIfSet(auth, "header", f.authHeader);
            putIfSet(auth, "secretRef", f.secretRef);
        }
        if (!f.labels.isEmpty()) {
            ObjectNode labels = root.putObject("labels");
            f.labels.forEach(labels::put);
        }
        return root;
    }

    private static void putIfSet(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static void putIfSet(ObjectNode node, String field, Number value) {
        if (value != null) {
            node.put(field, value.longValue());
        }
    }
}
