package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.DeadLetter;
import dev.courier.spi.Headers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What the operations page's JSON API answers, rendered from {@link Operations}: the services with their
 * dead-letter counts, a filtered list of dead letters, one dead letter in detail with its correlation
 * chain, and the traffic rows. {@link OpsHttp} decides who may see what; this class only renders.
 */
final class OpsViews {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Dead letters read per service per call, at most. */
    static final int SCAN = 1000;
    /** Payload characters shown in the detail view, at most. */
    static final int MAX_PAYLOAD_CHARS = 64 * 1024;

    private OpsViews() {
    }

    /** {@code /ops/api/services}: who asks, this hub, and each service it may operate with its dead-letter count. */
    static ObjectNode services(Operations ops, WebSocketPrincipal p, String hubId, List<String> allowed) {
        ObjectNode out = JSON.createObjectNode();
        out.put("principal", p.name());
        out.put("hub", hubId);
        ArrayNode arr = out.putArray("services");
        for (String s : allowed) {
            ObjectNode n = arr.addObject();
            n.put("name", s);
            try {
                n.put("deadLetters", ops.deadLetters(s).list(SCAN).size());
            } catch (RuntimeException e) {
                n.put("error", describe(e));
            }
        }
        return out;
    }

    /** {@code /ops/api/letters}: the dead letters of one service that match the filter, and the filter's choices. */
    static ObjectNode letters(String service, List<DeadLetter> all, String type, String error) {
        ObjectNode out = JSON.createObjectNode();
        out.put("service", service);
        out.put("total", all.size());
        out.put("truncated", all.size() >= SCAN);
        ArrayNode arr = out.putArray("letters");
        ArrayNode types = out.putArray("types");
        ArrayNode errors = out.putArray("errors");
        Set<String> ts = new TreeSet<>();
        Set<String> es = new TreeSet<>();
        for (DeadLetter d : all) {
            if (d.messageType() != null) {
                ts.add(d.messageType());
            }
            if (d.errorType() != null) {
                es.add(simple(d.errorType()));
            }
            if (matches(d, type, error)) {
                summary(arr.addObject(), d);
            }
        }
        ts.forEach(types::add);
        es.forEach(errors::add);
        return out;
    }

    /**
     * {@code /ops/api/letter}: one dead letter in full, and its correlation chain: every dead letter of the
     * same conversation in the services this principal may operate.
     */
    static ObjectNode letter(Operations ops, String service, DeadLetter found, List<String> allowed) {
        ObjectNode out = JSON.createObjectNode();
        out.put("service", service);
        summary(out.putObject("letter"), found);
        ObjectNode headers = out.putObject("headers");
        new TreeMap<>(found.headers()).forEach((k, v) -> {
            if (!k.equals(Headers.DL_STACK_TRACE)) {
                headers.put(k, v);
            }
        });
        out.put("stackTrace", found.headers().get(Headers.DL_STACK_TRACE));
        out.put("contentType", found.headers().get("datacontenttype"));
        out.put("payloadBytes", found.body().length);
        out.put("payload", payload(found.body()));
        String corr = found.headers().get(Headers.CORRELATION_ID);
        ArrayNode chain = out.putArray("chain");
        if (corr != null) {
            for (String s : allowed) {
                List<DeadLetter> list;
                try {
                    list = ops.deadLetters(s).list(SCAN);
                } catch (RuntimeException e) {
                    continue;
                }
                for (DeadLetter d : list) {
                    if (corr.equals(d.headers().get(Headers.CORRELATION_ID))) {
                        ObjectNode c = chain.addObject();
                        c.put("service", s);
                        summary(c, d);
                    }
                }
            }
        }
        return out;
    }

    /** {@code /ops/api/traffic}: per service and message type, handled and failed per second over the window. */
    static ObjectNode traffic(Operations ops, List<String> allowed) {
        ObjectNode out = JSON.createObjectNode();
        out.put("windowSeconds", OpsTraffic.WINDOW);
        ArrayNode arr = out.putArray("rows");
        for (String s : allowed) {
            ops.trafficView().snapshot(s).forEach((type, v) -> {
                ObjectNode n = arr.addObject();
                n.put("service", s);
                n.put("type", type);
                n.put("perSecond", v[0] / (double) OpsTraffic.WINDOW);
                n.put("failuresPerSecond", v[1] / (double) OpsTraffic.WINDOW);
                n.put("handled", v[2]);
                n.put("failures", v[3]);
            });
        }
        return out;
    }

    /** The CLI's filter rule: type exactly; error by full or simple class name. */
    static boolean matches(DeadLetter d, String type, String error) {
        if (type != null && !type.equals(d.messageType())) {
            return false;
        }
        if (error != null) {
            String e = d.errorType();
            return e != null && (e.equals(error) || e.endsWith("." + error) || e.endsWith("$" + error));
        }
        return true;
    }

    private static void summary(ObjectNode n, DeadLetter d) {
        n.put("id", d.messageId());
        n.put("type", d.messageType());
        n.put("errorType", d.errorType());
        n.put("error", simple(d.errorType()));
        n.put("errorMessage", d.errorMessage());
        n.put("attempts", d.attempts());
        n.put("address", d.address());
        n.put("firstFailure", d.headers().get(Headers.DL_FIRST_FAILURE));
        n.put("lastFailure", d.headers().get(Headers.DL_LAST_FAILURE));
        n.put("correlationId", d.headers().get(Headers.CORRELATION_ID));
        n.put("causationId", d.headers().get(Headers.CAUSATION_ID));
    }

    /** The payload as text when it is UTF-8 (pretty JSON when it parses), else a note with its size. */
    static String payload(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return "(" + body.length + " bytes, not UTF-8 text)";
        }
        try {
            JsonNode n = JSON.readTree(text);
            if (n != null && (n.isObject() || n.isArray())) {
                text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
            }
        } catch (IOException e) {
            // not JSON: as is
        }
        return text.length() > MAX_PAYLOAD_CHARS ? text.substring(0, MAX_PAYLOAD_CHARS) + "\n… (truncated)" : text;
    }

    /** The message of the failure under any ExecutionException / CompletionException wrappers. */
    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static String simple(String errorType) {
        if (errorType == null) {
            return null;
        }
        // the simple name, also of a nested class (Outer$Declined to Declined), which the error filter accepts
        int dot = Math.max(errorType.lastIndexOf('.'), errorType.lastIndexOf('$'));
        return dot < 0 ? errorType : errorType.substring(dot + 1);
    }
}
