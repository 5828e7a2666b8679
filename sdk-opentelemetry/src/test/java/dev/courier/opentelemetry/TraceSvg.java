package dev.courier.opentelemetry;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Draws one trace's spans as an SVG timeline (a row per span, indented by depth), from exporter data. */
final class TraceSvg {
    private static final int WIDTH = 900;
    private static final int LABEL = 330;
    private static final int ROW = 26;

    private TraceSvg() {
    }

    static String render(String title, List<SpanData> spans) {
        Map<String, SpanData> byId = new HashMap<>();
        spans.forEach(s -> byId.put(s.getSpanId(), s));
        List<SpanData> ordered = new ArrayList<>();
        // depth-first from the roots, children by start time: the nesting reads top to bottom
        spans.stream().filter(s -> !byId.containsKey(s.getParentSpanId()))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(root -> walk(root, spans, ordered));
        long t0 = ordered.stream().mapToLong(SpanData::getStartEpochNanos).min().orElse(0);
        long t1 = ordered.stream().mapToLong(SpanData::getEndEpochNanos).max().orElse(1);
        double scale = (WIDTH - LABEL - 20) / (double) Math.max(1, t1 - t0);
        int height = 50 + ordered.size() * ROW + 30;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\">").append(esc(title)).append("</text>\n");
        sb.append("<text x=\"10\" y=\"40\" fill=\"#555\">trace ").append(ordered.isEmpty() ? "" : ordered.get(0).getTraceId())
                .append(String.format(Locale.ROOT, " — %.1f ms; blue PRODUCER, green CONSUMER, grey other, red outline = error",
                        (t1 - t0) / 1e6)).append("</text>\n");
        int y = 50;
        for (SpanData s : ordered) {
            int depth = depth(s, byId);
            double x = LABEL + (s.getStartEpochNanos() - t0) * scale;
            double w = Math.max(2, (s.getEndEpochNanos() - s.getStartEpochNanos()) * scale);
            String fill = s.getKind() == SpanKind.PRODUCER ? "#5b8def" : s.getKind() == SpanKind.CONSUMER ? "#4caf73" : "#9e9e9e";
            String stroke = s.getStatus().getStatusCode() == StatusCode.ERROR ? " stroke=\"#d32f2f\" stroke-width=\"2\"" : "";
            Object group = s.getAttributes().get(CourierTracing.CONSUMER_GROUP);
            sb.append("<text x=\"").append(10 + depth * 14).append("\" y=\"").append(y + 16).append("\">")
                    .append(esc(s.getName() + (group != null ? " [" + group + "]" : ""))).append("</text>\n");
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"%s\"%s/>%n",
                    x, y + 4, w, ROW - 8, fill, stroke));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#333\" font-size=\"10\">%.2f ms</text>%n",
                    Math.min(x + w + 4, WIDTH - 60), y + 16, (s.getEndEpochNanos() - s.getStartEpochNanos()) / 1e6));
            y += ROW;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void walk(SpanData s, List<SpanData> all, List<SpanData> out) {
        out.add(s);
        all.stream().filter(c -> c.getParentSpanId().equals(s.getSpanId()))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).forEach(c -> walk(c, all, out));
    }

    private static int depth(SpanData s, Map<String, SpanData> byId) {
        int d = 0;
        SpanData p = byId.get(s.getParentSpanId());
        while (p != null && d < 50) {
            d++;
            p = byId.get(p.getParentSpanId());
        }
        return d;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
