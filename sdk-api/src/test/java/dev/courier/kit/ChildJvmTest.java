package dev.courier.kit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The child JVM's class path: manifest-only jars (surefire's booter jar) are followed. */
class ChildJvmTest {

    private static Path manifestOnlyJar(Path at, String classPath) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        try (OutputStream out = Files.newOutputStream(at); JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.flush();
        }
        return at;
    }

    @Test
    void aManifestOnlyJarIsExpandedToTheEntriesItNames(@TempDir Path dir) throws Exception {
        Path classes = Files.createDirectories(dir.resolve("test classes"));
        Path lib = Files.createDirectories(dir.resolve("repo")).resolve("lib.jar");
        manifestOnlyJar(lib, "");
        Path nested = manifestOnlyJar(dir.resolve("repo").resolve("nested.jar"), "lib.jar");
        // relative URL with an escaped space, an absolute file: URL, and a jar that names another one
        Path booter = manifestOnlyJar(dir.resolve("booter.jar"),
                "test%20classes/ " + lib.toUri() + " " + nested.toUri());
        List<Path> cp = ChildJvm.expand(booter.toString());
        assertEquals(List.of(booter, classes, lib, nested), cp, "the booter jar, then what its Class-Path names, once each");
    }

    @Test
    void plainEntriesAreKeptInOrder(@TempDir Path dir) throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = manifestOnlyJar(dir.resolve("b.jar"), "");
        assertEquals(List.of(a, b), ChildJvm.expand(a + File.pathSeparator + b + File.pathSeparator + a));
    }

    @Test
    void thisJvmsClassPathReachesTheKitAndTheApi() throws Exception {
        List<Path> cp = ChildJvm.classPath();
        for (Class<?> c : List.of(ChildBus.class, dev.courier.MessageBus.class, org.slf4j.Logger.class)) {
            Path where = Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath().normalize();
            assertTrue(cp.contains(where), c.getName() + " comes from " + where + ", which the expanded class path "
                    + cp + " lacks (java.class.path=" + System.getProperty("java.class.path") + ")");
        }
    }

    @Test
    void aChildJvmRunsWithThatClassPath() throws Exception {
        ChildJvm child = ChildJvm.start(PrintsItsClassPath.class, List.of());
        assertTrue(child.waitFor(Duration.ofSeconds(30)), "the child JVM should end");
        assertEquals(0, child.exitValue(), () -> "child failed: " + child.stdout() + child.stderr());
        assertEquals("ok " + ChildBus.class.getName(), child.stdout().get(0).text());
    }

    @Test
    void aJvmStartedFromAManifestOnlyJarStartsItsChildWithTheRealClassPath(@TempDir Path dir) throws Exception {
        // this JVM's class path carried by a manifest-only jar, the way surefire's booter jar carries it
        StringBuilder refs = new StringBuilder();
        for (Path p : ChildJvm.classPath()) {
            refs.append(p.toUri()).append(' ');
        }
        Path booter = manifestOnlyJar(dir.resolve("booter.jar"), refs.toString().trim());
        Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", booter.toString(), StartsAChild.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the JVM should end");
        assertEquals("class path " + booter + "; child: ok " + ChildBus.class.getName(), out,
                "a JVM whose java.class.path is a manifest-only jar must give its child the entries the jar names");
    }

    /** Started with a manifest-only jar as its class path; starts a child of its own. */
    static final class StartsAChild {
        public static void main(String[] args) throws Exception {
            ChildJvm child = ChildJvm.start(PrintsItsClassPath.class, List.of());
            child.waitFor(Duration.ofSeconds(30));
            System.out.println("class path " + System.getProperty("java.class.path") + "; child: "
                    + (child.stdout().isEmpty() ? "nothing " + child.stderr() : child.stdout().get(0).text()));
        }
    }

    /** Loads a kit class in the child, which fails unless the class path reached it. */
    static final class PrintsItsClassPath {
        public static void main(String[] args) throws Exception {
            System.out.println("ok " + Class.forName("dev.courier.kit.ChildBus").getName());
        }
    }
}
