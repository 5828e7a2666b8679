package dev.courier.kit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * A Java process started with this JVM's class path, its output collected line by line with the
 * time each line arrived. Under surefire {@code java.class.path} may be a manifest-only jar whose
 * {@code Class-Path} names the real entries; {@link #classPath} expands such jars, so the child never
 * depends on how its parent was launched.
 */
public final class ChildJvm {

    /** One line of output and when it arrived ({@link System#nanoTime()}). */
    public record Line(String text, long nanos) {
    }

    private final Process process;
    private final List<Line> out = new CopyOnWriteArrayList<>();
    private final List<Line> err = new CopyOnWriteArrayList<>();
    private final Thread outReader;
    private final Thread errReader;

    private ChildJvm(Process process) {
        this.process = process;
        this.outReader = reader(process.getInputStream(), out, "child-stdout");
        this.errReader = reader(process.getErrorStream(), err, "child-stderr");
    }

    /**
     * Starts {@code java -cp <this JVM's class path> mainClass args…}.
     *
     * @param mainClass the class whose {@code main} runs
     * @param args its arguments
     * @return the running child; its output is read on two daemon threads
     * @throws IOException when the process or its argument file cannot be created
     */
    public static ChildJvm start(Class<?> mainClass, List<String> args) throws IOException {
        Path argFile = Files.createTempFile("courier-child", ".args");
        argFile.toFile().deleteOnExit();
        StringBuilder cp = new StringBuilder();
        for (Path p : classPath()) {
            if (cp.length() > 0) {
                cp.append(java.io.File.pathSeparatorChar);
            }
            cp.append(p);
        }
        // an argument file keeps a long class path off the command line (and its length limits)
        Files.writeString(argFile, "-cp\n\"" + cp.toString().replace("\\", "\\\\") + "\"\n");
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("@" + argFile);
        command.add(mainClass.getName());
        command.addAll(args);
        return new ChildJvm(new ProcessBuilder(command).start());
    }

    /**
     * The entries of this JVM's class path, manifest-only jars expanded, duplicates removed.
     *
     * @return the entries, in order
     */
    public static List<Path> classPath() {
        return expand(System.getProperty("java.class.path"));
    }

    /** Expands a class path string: each jar's manifest {@code Class-Path} is followed, recursively. */
    static List<Path> expand(String classPath) {
        Set<Path> seen = new LinkedHashSet<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                add(Paths.get(entry).toAbsolutePath().normalize(), seen);
            }
        }
        return List.copyOf(seen);
    }

    private static void add(Path entry, Set<Path> seen) {
        if (!seen.add(entry) || !Files.isRegularFile(entry)) {
            return;
        }
        String classPath;
        try (JarFile jar = new JarFile(entry.toFile())) {
            Manifest m = jar.getManifest();
            classPath = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
        } catch (IOException e) {
            return; // not a jar: keep it as it is
        }
        if (classPath == null) {
            return;
        }
        URI base = entry.getParent().toUri();
        for (String ref : classPath.trim().split("\\s+")) {
            if (!ref.isEmpty()) {
                // Class-Path entries are URLs, relative to the jar's directory or absolute file: URLs
                add(Paths.get(base.resolve(ref)).toAbsolutePath().normalize(), seen);
            }
        }
    }

    private static Thread reader(InputStream in, List<Line> into, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    into.add(new Line(line, System.nanoTime()));
                }
            } catch (IOException e) {
                into.add(new Line("(reading the child's output failed: " + e + ")", System.nanoTime()));
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits up to {@code patience} for the process to end; true when it did (and its output was read).
     *
     * @param patience the longest wait
     * @return true when the process ended within {@code patience}
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public boolean waitFor(Duration patience) throws InterruptedException {
        if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            return false;
        }
        outReader.join(5_000);
        errReader.join(5_000);
        return true;
    }

    /**
     * True while the process runs.
     *
     * @return whether the process is running
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * The exit code, once {@link #waitFor} returned true.
     *
     * @return the process's exit code
     */
    public int exitValue() {
        return process.exitValue();
    }

    /** Kills the process and what it started (used when it would not end by itself). */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /**
     * The child's standard output so far, line by line.
     *
     * @return a copy of the lines read so far
     */
    public List<Line> stdout() {
        return List.copyOf(out);
    }

    /**
     * The child's standard error so far, line by line.
     *
     * @return a copy of the lines read so far
     */
    public List<Line> stderr() {
        return List.copyOf(err);
    }

    /**
     * The first stdout line that starts with {@code prefix}, or null.
     *
     * @param prefix the line's start
     * @return the line, or null when no line starts with {@code prefix}
     */
    public Line line(String prefix) {
        for (Line l : out) {
            if (l.text().startsWith(prefix)) {
                return l;
            }
        }
        return null;
    }
}
