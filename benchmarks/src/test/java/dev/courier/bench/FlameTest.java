package dev.courier.bench;

import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flame subcommand folds JFR stacks root first and draws one proportional, labelled rectangle per frame and path. */
class FlameTest {
    private static final String BURNER = "flame-test-burner";
    private static final AtomicLong SINK = new AtomicLong();

    /** 3× all;a;b;c, 1× all;a;b, 2× all;a;java.util.HashMap.get, 1× a recursive all;a;b;a. */
    private static Flame.Folded synthetic() {
        Flame.Folded f = new Flame.Folded();
        for (int i = 0; i < 3; i++) {
            f.add(List.of("dev.courier.A.run", "dev.courier.B.call", "com.fasterxml.jackson.C.write"), 1);
        }
        f.add(List.of("dev.courier.A.run", "dev.courier.B.call"), 1);
        f.add(List.of("dev.courier.A.run", "java.util.HashMap.get"), 2);
        f.add(List.of("dev.courier.A.run", "dev.courier.B.call", "dev.courier.A.run"), 1);
        return f;
    }

    private static Document xml(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    /** Each frame's group: its tooltip's first line (the frame) to its rect, in document order. */
    private static Map<String, List<Element>> frames(Document d) {
        Map<String, List<Element>> m = new HashMap<>();
        NodeList groups = d.getElementsByTagName("g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            String tip = g.getElementsByTagName("title").item(0).getTextContent();
            m.computeIfAbsent(tip.split("\n")[0], k -> new ArrayList<>()).add(g);
        }
        return m;
    }

    private static double attr(Element e, String name) {
        return Double.parseDouble(e.getAttribute(name));
    }

    private static Element rect(Element g) {
        return (Element) g.getElementsByTagName("rect").item(0);
    }

    @Test
    void foldsIntoATreeOfTotalAndSelfWeights() {
        Flame.Node root = Flame.tree(synthetic());
        assertEquals(7, root.total);
        Flame.Node a = root.children.get("dev.courier.A.run");
        assertEquals(7, a.total);
        assertEquals(0, a.self);
        Flame.Node b = a.children.get("dev.courier.B.call");
        assertEquals(5, b.total);
        assertEquals(1, b.self);
        assertEquals(3, b.children.get("com.fasterxml.jackson.C.write").self);
        assertEquals(1, b.children.get("dev.courier.A.run").total);
        assertEquals(2, a.children.get("java.util.HashMap.get").self);
        assertEquals(List.of("dev.courier.B.call", "java.util.HashMap.get"), new ArrayList<>(a.children.keySet()),
                "children in alphabetical order, so two graphs of the same code line up");
        assertEquals(4, root.depth());
    }

    @Test
    void topCountsSelfAtTheLeafAndTotalOncePerStack() {
        String text = Flame.top(synthetic(), 10, "samples", "test");
        assertTrue(text.startsWith("7 samples in 6 events (test)"), text);
        String self = text.substring(text.indexOf("by self"), text.indexOf("by total"));
        String total = text.substring(text.indexOf("by total"));
        assertTrue(self.lines().skip(2).findFirst().orElseThrow().matches(" *42\\.86% +3  com\\.fasterxml\\.jackson\\.C\\.write"), self);
        assertTrue(total.lines().skip(2).findFirst().orElseThrow().matches(" *100\\.00% +7  dev\\.courier\\.A\\.run"),
                "the recursive stack counts A.run once: " + total);
        assertTrue(Pattern.compile("\\n *71\\.43% +5  dev\\.courier\\.B\\.call\\n").matcher(total).find(), total);
    }

    @Test
    void svgHasProportionalFramesRootAtTheBottomLabelsThatFitAndALegend() throws Exception {
        String svg = Flame.svg(Flame.tree(synthetic()), "A <test>", "jdk.ExecutionSample", "samples");
        Document d = xml(svg);
        Map<String, List<Element>> frames = frames(d);
        double full = attr(rect(frames.get("all").get(0)), "width");
        Element b = rect(frames.get("dev.courier.B.call").get(0));
        assertEquals(full * 5 / 7, attr(b, "width"), 0.5);
        Element hash = rect(frames.get("java.util.HashMap.get").get(0));
        assertEquals(full * 2 / 7, attr(hash, "width"), 0.5);
        assertEquals(attr(b, "x") + attr(b, "width"), attr(hash, "x"), 0.5, "siblings side by side");
        assertTrue(attr(rect(frames.get("all").get(0)), "y") > attr(b, "y"), "the root is at the bottom");
        assertEquals(2, frames.get("dev.courier.A.run").size(), "A.run at the root and again under B.call");

        String tip = frames.get("dev.courier.B.call").get(0).getElementsByTagName("title").item(0).getTextContent();
        assertTrue(tip.contains("5 samples (71.43 %), self 1 (14.29 %)"), tip);

        // colour by package: Courier green, JDK grey, Jackson another hue
        assertTrue(b.getAttribute("fill").matches("hsl\\((10[4-9]|11[0-6]),.*"), b.getAttribute("fill"));
        assertTrue(hash.getAttribute("fill").matches("rgb\\((\\d+),\\1,\\1\\)"), hash.getAttribute("fill"));
        assertTrue(rect(frames.get("com.fasterxml.jackson.C.write").get(0)).getAttribute("fill").startsWith("hsl(2"));

        NodeList texts = d.getElementsByTagName("text");
        List<String> all = new ArrayList<>();
        for (int i = 0; i < texts.getLength(); i++) {
            Element t = (Element) texts.item(i);
            all.add(t.getTextContent());
            if (t.getAttribute("class").equals("label")) {
                Element r = rect((Element) t.getParentNode());
                assertTrue(t.getTextContent().length() * Flame.CHAR_PX <= attr(r, "width"),
                        "label '" + t.getTextContent() + "' fits its frame of " + attr(r, "width") + " px");
            }
        }
        assertTrue(all.contains("A <test> — 7 samples"), all.toString());
        assertTrue(all.contains("B.call"), "labels are Class.method: " + all);
        assertTrue(all.containsAll(List.of("Courier (dev.courier)", "JDK", "Jackson")), all.toString());
        assertFalse(all.contains("HiveMQ MQTT"), "the legend names only the families drawn");
    }

    @Test
    void familiesByPackage() {
        assertEquals(Flame.Family.BENCH, Flame.Family.of("dev.courier.bench.Tally.record"), "the harness is not Courier");
        assertEquals(Flame.Family.COURIER, Flame.Family.of("dev.courier.Lane.drain"));
        assertEquals(Flame.Family.JDK, Flame.Family.of("jdk.internal.misc.Unsafe.park"));
        assertEquals(Flame.Family.JDK, Flame.Family.of(Flame.ROOT));
        assertEquals(Flame.Family.AMQP, Flame.Family.of("com.rabbitmq.client.impl.ChannelN.basicPublish"));
        assertEquals(Flame.Family.HIVEMQ, Flame.Family.of("com.hivemq.client.internal.X.y"));
        assertEquals(Flame.Family.WEBSOCKET, Flame.Family.of("org.java_websocket.WebSocketImpl.send"));
        assertEquals(Flame.Family.JACKSON, Flame.Family.of("com.fasterxml.jackson.core.JsonFactory.x"));
        assertEquals(Flame.Family.OTHER, Flame.Family.of("org.slf4j.MDC.put"));
    }

    @Test
    void labelsAreClippedToTheFrame() {
        assertEquals("B.call", Flame.label("dev.courier.B.call", 100));
        assertEquals("Inbound.proc..", Flame.label("dev.courier.Inbound.process", 14 * Flame.CHAR_PX));
        assertEquals("", Flame.label("dev.courier.Inbound.process", 3 * Flame.CHAR_PX));
        assertEquals("[truncated]", Flame.label("[truncated]", 200));
    }

    @Test
    void lambdaAndHiddenClassNamesFoldAlike() {
        assertEquals("dev.courier.Lane$$Lambda.run", Flame.frame("dev.courier.Lane$$Lambda+0x00007f3b90180ba8.530696881", "run"));
        assertEquals("dev.courier.Lane$$Lambda.run", Flame.frame("dev.courier.Lane$$Lambda$17/0x0000000800c0b000", "run"));
        assertEquals("java.lang.invoke.LambdaForm$MH.invoke", Flame.frame("java.lang.invoke.LambdaForm$MH/0x0000000800c0c400", "invoke"));
        assertEquals("dev.courier.Inbound.process", Flame.frame("dev.courier.Inbound", "process"));
    }

    @Test
    void readsARealRecordingFilteredByThreadAndWeightsAllocationsByBytes(@TempDir Path dir) throws Exception {
        Path jfr = dir.resolve("burn.jfr");
        try (Recording r = new Recording()) {
            r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
            r.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s");
            r.start();
            Thread t = new Thread(FlameTest::burn, BURNER);
            t.start();
            t.join();
            r.stop();
            r.dump(jfr);
        }
        Flame.Folded cpu = Flame.read(jfr, "jdk.ExecutionSample", Pattern.compile("^" + BURNER + "$"), null);
        assertTrue(cpu.total > 0, "samples of the burner thread");
        assertEquals(cpu.events, cpu.total, "an execution sample weighs 1");
        for (List<String> stack : cpu.stacks.keySet()) {
            assertEquals("java.lang.Thread.run", stack.get(0), "root first: " + stack);
            assertTrue(stack.contains("dev.courier.bench.FlameTest.burn"), stack.toString());
        }
        Flame.Folded other = Flame.read(jfr, "jdk.ExecutionSample", Pattern.compile("^no-such-thread$"), null);
        assertEquals(0, other.total);
        Flame.Folded included = Flame.read(jfr, "jdk.ExecutionSample", null, Pattern.compile("FlameTest\\.burn$"));
        assertEquals(cpu.total, included.total, "--include keeps the stacks through burn (only the burner has them)");

        Flame.Folded alloc = Flame.read(jfr, "jdk.ObjectAllocationSample", Pattern.compile(BURNER), null);
        assertTrue(alloc.events > 0, "allocation samples of the burner");
        assertTrue(alloc.total > alloc.events * 16, "weighted by the bytes each sample stands for: " + alloc.total);
        assertTrue(Flame.svg(Flame.tree(alloc), "alloc", "x", "bytes").contains("bytes ("), "bytes in the heading also in kB/MB/GB");
        assertEquals("11.4 GB", Flame.human(11_392_579_776L));
        assertEquals("999 B", Flame.human(999));

        Path svg = dir.resolve("out/burn.svg");
        Flame.main(new String[] {"--thread", BURNER, "--title", "burn", "--out", svg.toString(), jfr.toString()});
        Document d = xml(Files.readString(svg));
        assertTrue(frames(d).containsKey("dev.courier.bench.FlameTest.burn"));
    }

    /** Spins on the CPU for 400 ms of this thread's CPU time, allocating as it goes. */
    private static void burn() {
        var bean = ManagementFactory.getThreadMXBean();
        long until = bean.getCurrentThreadCpuTime() + 400_000_000L;
        long x = 0;
        while (bean.getCurrentThreadCpuTime() < until) {
            for (int i = 0; i < 10_000; i++) {
                x = x * 31 + i;
            }
            byte[] garbage = new byte[1024 + (int) (x & 1023)];
            x += garbage.length;
        }
        SINK.addAndGet(x);
    }
}
