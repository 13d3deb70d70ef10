package dev.healthmon.cli;

import org.apache.kafka.common.utils.AppInfoParser;
import picocli.CommandLine;

/** Reports the jar's version and the Kafka client version it was built with. */
final class Version implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Version.class.getPackage().getImplementationVersion();
        return new String[] {"healthmon " + (version == null ? "dev" : version),
                "kafka-clients " + AppInfoParser.getVersion()};
    }
}
