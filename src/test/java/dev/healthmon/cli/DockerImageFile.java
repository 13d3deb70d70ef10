package dev.healthmon.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;

/**
 * docker/Dockerfile read the way Docker reads it (continuation lines joined, comments dropped), for tests
 * that hold the image to the pom, the compose file and the Kubernetes manifests. No Docker engine here.
 *
 * @param buildStage the instructions of every stage but the last
 * @param image      the instructions of the last stage: what the image is
 */
record DockerImageFile(List<String> buildStage, List<String> image) {

    static final Path PATH = Path.of("docker", "Dockerfile");
    private static final ObjectMapper JSON = new ObjectMapper();

    static DockerImageFile read() {
        try {
            List<String> instructions = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : Files.readAllLines(PATH)) {
                String trimmed = line.strip();
                if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.length() == 0)) {
                    continue;
                }
                if (trimmed.endsWith("\\")) {
                    current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                    continue;
                }
                instructions.add(current.append(trimmed).toString().strip());
                current.setLength(0);
            }
            int lastFrom = 0;
            for (int i = 0; i < instructions.size(); i++) {
                if (instructions.get(i).startsWith("FROM ")) {
                    lastFrom = i;
                }
            }
            return new DockerImageFile(instructions.subList(0, lastFrom), instructions.subList(lastFrom,
                    instructions.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The arguments of the image's last {@code keyword} instruction, e.g. {@code USER} → {@code 10001:10001}. */
    Optional<String> last(String keyword) {
        Optional<String> found = Optional.empty();
        for (String instruction : image) {
            if (instruction.startsWith(keyword + " ")) {
                found = Optional.of(instruction.substring(keyword.length() + 1).strip());
            }
        }
        return found;
    }

    /** An instruction in exec form ({@code ["java", "-jar", …]}), as a list. */
    List<String> execForm(String keyword) {
        try {
            return JSON.readValue(last(keyword).orElseThrow(), new TypeReference<List<String>>() {});
        } catch (IOException e) {
            throw new UncheckedIOException(keyword + " is not in exec (JSON array) form", e);
        }
    }

    List<String> entrypoint() {
        return execForm("ENTRYPOINT");
    }

    List<String> volumes() {
        return execForm("VOLUME");
    }

    /** The user id the image runs as (the part of {@code USER} before the colon). */
    String userId() {
        return last("USER").orElseThrow().split(":")[0];
    }

    /** The value of {@code -Dname=…} in the entrypoint's JVM options. */
    Optional<String> systemProperty(String name) {
        return entrypoint().stream().filter(a -> a.startsWith("-D" + name + "=")).findFirst()
                .map(a -> a.substring(name.length() + 3));
    }

    /** The jar after {@code -jar} in the entrypoint. */
    String jar() {
        List<String> entrypoint = entrypoint();
        return entrypoint.get(entrypoint.indexOf("-jar") + 1);
    }

    /** A value from pom.xml, by XPath (the pom is read without namespaces). */
    static String fromPom(String xpath) {
        try {
            return XPathFactory.newInstance().newXPath().evaluate(xpath, DocumentBuilderFactory.newInstance()
                    .newDocumentBuilder().parse(Path.of("pom.xml").toFile())).strip();
        } catch (Exception e) {
            throw new IllegalStateException("pom.xml: " + xpath, e);
        }
    }
}
