package dev.healthmon.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationCodec;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Builds registration JSON and decoded registrations for tests. */
public final class Registrations {

    public static final ObjectMapper MAPPER = new ObjectMapper();
    public static final RegistrationCodec CODEC = new RegistrationCodec(MAPPER, CheckDefaults.STANDARD);

    private Registrations() {}

    /** A minimal valid http registration with a 1 s interval and 500 ms timeout. */
    public static ObjectNode json(String id, String url) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schemaVersion", 1);
        root.put("id", id);
        root.put("name", "Backend " + id);
        root.put("url", url);
        root.put("transport", "http");
        ObjectNode check = root.putObject("healthCheck");
        check.put("intervalMs", 1000);
        check.put("timeoutMs", 500);
        return root;
    }

    public static ObjectNode json(String id, String url, Consumer<ObjectNode> edit) {
        ObjectNode root = json(id, url);
        edit.accept(root);
        return root;
    }

    public static byte[] bytes(ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static DecodedRegistration.Valid valid(ObjectNode node) {
        DecodedRegistration decoded = CODEC.decode(node.get("id").asText().getBytes(StandardCharsets.UTF_8),
                bytes(node));
        if (decoded instanceof DecodedRegistration.Valid valid) {
            return valid;
        }
        throw new IllegalArgumentException("fixture is invalid: " + decoded);
    }

    public static DecodedRegistration.Valid valid(String id, String url) {
        return valid(json(id, url));
    }
}
