package dev.healthmon.kafka;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;

/**
 * Creates ACLs through the Admin API, as {@code kafka-acls.sh --add} does; creating one that
 * exists already changes nothing. The client needs ALTER on the cluster. Every call blocks for at
 * most {@link TopicAdmin#TIMEOUT}.
 */
public final class AclAdmin implements AutoCloseable {

    private final Admin admin;

    public AclAdmin(KafkaSettings settings) {
        this.admin = Admin.create(settings.admin());
    }

    /** Creates {@code bindings}; throws naming Kafka's refusal (e.g. no ALTER on the cluster). */
    public void create(List<AclBinding> bindings) {
        try {
            admin.createAcls(bindings).all().get(TopicAdmin.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create ACLs: " + e.getCause().getMessage()
                    + " (creating ACLs needs ALTER on the cluster)", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating ACLs", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within " + TopicAdmin.TIMEOUT.toSeconds()
                    + " s creating ACLs", e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
