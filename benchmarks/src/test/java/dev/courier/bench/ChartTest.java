package dev.courier.bench;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chart subcommand draws well-formed SVG with a bar per figure from the scenarios' JSON lines. */
class ChartTest {
    private static final List<String> LINES = List.of(
            "{\"scenario\":\"jdbc-outbox\",\"db\":\"postgres\",\"relay\":\"same\",\"notify\":true,\"ratio\":0.912,"
                    + "\"ratio_min\":0.85,\"ratio_max\":0.97,\"sdk_p50_us\":5200.5,\"sdk_p99_us\":41000.0,\"sdk_p999_us\":90000.0,"
                    + "\"baseline_p50_us\":3100.2,\"baseline_p99_us\":20000.0,\"baseline_p999_us\":52000.0}",
            "not json: a log line",
            "{\"scenario\":\"jdbc-outbox\",\"db\":\"mariadb\",\"note\":\"a \\\"quoted\\\" <note>\",\"ratio\":0.81,"
                    + "\"sdk_p50_us\":7000,\"sdk_p99_us\":30000,\"baseline_p50_us\":2000,\"baseline_p99_us\":9000}",
            "{\"scenario\":\"request-reply\",\"requesters\":1,\"sdk_msgs_per_s\":900.5}",
            "{\"scenario\":\"request-reply\",\"requesters\":10,\"sdk_msgs_per_s\":4000}",
            "{\"scenario\":\"request-reply\",\"requesters\":100,\"sdk_msgs_per_s\":6500}");

    private static Document xml(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> barTitles(Document d) {
        List<String> titles = new ArrayList<>();
        NodeList rects = d.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            Element r = (Element) rects.item(i);
            if (r.getAttribute("class").equals("bar")) {
                titles.add(r.getElementsByTagName("title").item(0).getTextContent());
            }
        }
        return titles;
    }

    @Test
    void parsesTheLinesAndSkipsWhatIsNotJson() {
        List<Map<String, Object>> rows = Chart.parse(LINES);
        assertEquals(5, rows.size());
        assertEquals("a \"quoted\" <note>", rows.get(1).get("note"));
        assertEquals(0.912, Chart.num(rows.get(0), "ratio"));
        assertEquals(Boolean.TRUE, rows.get(0).get("notify"));
    }

    @Test
    void ratiosAreOneBarPerLineWithTheGoal() throws Exception {
        Document d = xml(Chart.ratios(Chart.parse(LINES), 0.8));
        assertEquals("svg", d.getDocumentElement().getTagName());
        assertEquals(List.of("jdbc-outbox postgres same notify: 0.91", "jdbc-outbox mariadb: 0.81"), barTitles(d));
        assertTrue(d.getDocumentElement().getTextContent().contains("goal 0.80"));
    }

    @Test
    void latencyIsSixBarsPerLineAndGrowthOneSeriesPerScenario() throws Exception {
        List<String> bars = barTitles(xml(Chart.latency(Chart.parse(LINES))));
        assertEquals(6 + 4, bars.size()); // the second line has no p99.9
        assertTrue(bars.contains("jdbc-outbox postgres same notify Courier p99.9: 90000 µs"), bars.toString());
        Document growth = xml(Chart.growth(Chart.parse(LINES), null, "sdk_msgs_per_s"));
        assertEquals(1, growth.getElementsByTagName("polyline").getLength());
        assertEquals(3, growth.getElementsByTagName("circle").getLength());
        assertNull(Chart.growth(Chart.parse(LINES.subList(0, 2)), null, "sdk_msgs_per_s"), "nothing to draw");
    }
}
