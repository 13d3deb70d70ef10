package dev.healthmon.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Measured figures of integration tests, printed and appended to {@code target/it-figures.txt} for people to read. */
public final class Figures {

    private static final Path FILE = Path.of("target", "it-figures.txt");

    private Figures() {}

    public static void record(String line) {
        System.out.println("FIGURE " + line);
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
