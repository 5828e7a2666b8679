package dev.courier.samples;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No Courier artifact has a public type in an {@code internal} package (docs/stability.md): reads
 * every {@code dev/courier} class on this module's class path, which holds nearly every published
 * artifact (courier-api, -amqp, -mqtt, -websocket, -jdbc, -asyncapi, -micrometer, -opentelemetry, -test).
 */
class SealedInternalsTest {

    @Test
    void noArtifactOnTheClassPathHasAPublicTypeInAnInternalPackage() throws Exception {
        List<String> names = new ArrayList<>();
        int artifacts = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            List<String> found = classNames(Path.of(entry));
            if (!found.isEmpty()) {
                artifacts++;
                names.addAll(found);
            }
        }
        assertTrue(artifacts >= 8, "expected the Courier artifacts on the class path, found " + artifacts);
        TreeSet<String> open = new TreeSet<>();
        for (String n : names) {
            if (List.of(n.substring(0, n.lastIndexOf('.')).split("\\.")).contains("internal")
                    && usableOutsideItsPackage(Class.forName(n, false, getClass().getClassLoader()))) {
                open.add(n);
            }
        }
        assertEquals(new TreeSet<String>(), open, "public types in an internal package");
    }

    private static boolean usableOutsideItsPackage(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
            if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass() || c.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    /** Courier's main classes in a classes directory or jar (its own test classes left out). */
    private static List<String> classNames(Path location) throws IOException {
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(location)) {
            if (location.endsWith("test-classes")) {
                return names;
            }
            try (Stream<Path> files = Files.walk(location)) {
                files.map(f -> location.relativize(f).toString().replace('\\', '/')).forEach(n -> add(names, n));
            }
        } else if (location.toString().endsWith(".jar") && !location.toString().endsWith("-tests.jar")
                && Files.isRegularFile(location)) {
            try (JarFile jar = new JarFile(location.toFile())) {
                jar.stream().map(e -> e.getName()).forEach(n -> add(names, n));
            }
        }
        return names;
    }

    private static void add(List<String> names, String path) {
        if (path.startsWith("dev/courier/") && path.endsWith(".class") && !path.endsWith("-info.class")) {
            names.add(path.substring(0, path.length() - ".class".length()).replace('/', '.'));
        }
    }
}
