package dev.healthmon.support;

import java.util.List;
import java.util.Map;

/**
 * How {@link BrokerProcesses} secures its brokers' client listener: properties that override the
 * plaintext defaults, extra {@code StorageTool format} arguments (bootstrap SCRAM credentials), and
 * the client settings its own readiness check connects with.
 */
public interface BrokerSecurity {

    /** The default: one PLAINTEXT client listener, no authorizer. */
    BrokerSecurity NONE = new BrokerSecurity() {
        @Override
        public Map<String, String> brokerProperties(int port, int controllerPort) {
            return Map.of();
        }

        @Override
        public List<String> formatArguments() {
            return List.of();
        }

        @Override
        public Map<String, Object> adminProperties() {
            return Map.of();
        }
    };

    /** Broker properties set after (and over) the defaults, for a node listening on these ports. */
    Map<String, String> brokerProperties(int port, int controllerPort);

    /** Added to {@code kafka-storage format}. */
    List<String> formatArguments();

    /** Client properties of a super user (without bootstrap.servers). */
    Map<String, Object> adminProperties();
}
