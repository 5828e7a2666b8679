package dev.courier.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Reads compiled classes (a classes directory or a jar) and answers which types other packages can
 * use: public, and every enclosing class public too. For the tests that keep Courier's internals sealed.
 */
public final class PublicTypes {
    private PublicTypes() {
    }

    /** The directory or jar that {@code type} was loaded from. */
    public static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The binary names of every class under {@code dev/courier} in a classes directory or jar. */
    public static List<String> classNames(Path location) {
        List<String> names = new ArrayList<>();
        try {
            if (Files.isDirectory(location)) {
                try (Stream<Path> files = Files.walk(location)) {
                    files.filter(f -> f.toString().endsWith(".class"))
                            .map(f -> location.relativize(f).toString().replace('\\', '/'))
                            .forEach(n -> add(names, n));
                }
            } else if (location.toString().endsWith(".jar")) {
                try (JarFile jar = new JarFile(location.toFile())) {
                    jar.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class")).forEach(n -> add(names, n));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    private static void add(List<String> names, String path) {
        if (path.startsWith("dev/courier/") && !path.endsWith("module-info.class") && !path.endsWith("package-info.class")) {
            names.add(path.substring(0, path.length() - ".class".length()).replace('/', '.'));
        }
    }

    /** Whether code in another package can name {@code type}: it and every class around it are public. */
    public static boolean usableOutsideItsPackage(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
            if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass() || c.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    /** The types among {@code classNames} in a package with an {@code internal} segment that other packages can use. */
    public static TreeSet<String> publicInInternalPackages(List<String> classNames, ClassLoader loader) {
        TreeSet<String> found = new TreeSet<>();
        for (String n : classNames) {
            String pkg = n.substring(0, n.lastIndexOf('.'));
            if (!List.of(pkg.split("\\.")).contains("internal")) {
                continue;
            }
            try {
                if (usableOutsideItsPackage(Class.forName(n, false, loader))) {
                    found.add(n);
                }
            } catch (ClassNotFoundException | LinkageError e) {
                throw new AssertionError("cannot load " + n + ": " + e, e);
            }
        }
        return found;
    }
}
