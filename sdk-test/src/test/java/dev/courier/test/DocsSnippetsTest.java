package dev.courier.test;

import org.junit.jupiter.api.Test;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Java block of docs/testing.md that follows a {@code <!-- compile -->} line compiles against
 * courier-test, courier-api (with its conformance kit) and JUnit, so the page cannot drift from the API.
 */
class DocsSnippetsTest {
    private static final Pattern CLASS = Pattern.compile("^(?:public )?(?:final )?class (\\w+)", Pattern.MULTILINE);

    static List<String> snippets(String markdown) {
        List<String> out = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith("<!-- compile -->")) {
                continue;
            }
            int start = i + 1;
            while (start < lines.length && !lines[start].startsWith("```")) {
                start++;
            }
            StringBuilder code = new StringBuilder();
            int j = start + 1;
            for (; j < lines.length && !lines[j].startsWith("```"); j++) {
                code.append(lines[j]).append('\n');
            }
            out.add(code.toString());
            i = j;
        }
        return out;
    }

    @Test
    void everyMarkedJavaBlockOfTheTestingGuideCompiles() throws IOException {
        Path doc = Path.of("..", "docs", "testing.md");
        assertTrue(Files.exists(doc), "run from the sdk-test folder: " + doc.toAbsolutePath());
        List<String> blocks = snippets(Files.readString(doc, StandardCharsets.UTF_8));
        assertEquals(5, blocks.size(), "docs/testing.md has five compiled snippets (handler and chain, retry, dead"
                + " letter, real brokers, transport); update this count when adding one");

        Path dir = Files.createTempDirectory("courier-docs-snippets");
        List<Path> sources = new ArrayList<>();
        for (String block : blocks) {
            Matcher m = CLASS.matcher(block);
            assertTrue(m.find(), "a snippet declares no top-level class:\n" + block);
            Path file = dir.resolve(m.group(1) + ".java");
            Files.writeString(file, block, StandardCharsets.UTF_8);
            sources.add(file);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "needs a JDK, not a JRE");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, files, diagnostics,
                    List.of("-classpath", System.getProperty("java.class.path"), "-d", dir.resolve("classes").toString(),
                            "-proc:none", "--release", "17"),
                    null, files.getJavaFileObjectsFromPaths(sources)).call();
            StringBuilder report = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    report.append(d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName())
                            .append(':').append(d.getLineNumber()).append(": ").append(d.getMessage(null)).append('\n');
                }
            }
            assertTrue(ok, "docs/testing.md's snippets do not compile:\n" + report);
        }
    }
}
