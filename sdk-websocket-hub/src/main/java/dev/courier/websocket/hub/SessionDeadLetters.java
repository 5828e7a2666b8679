package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.spi.RawMessage;
import dev.courier.websocket.hub.Authorizer.Operation;
import dev.courier.websocket.protocol.Frames;

import java.util.Base64;
import java.util.List;

/**
 * The dead-letter operations a connection may run on the services it belongs to ({@code service:} grant):
 * browse ({@link Frames#DL_BROWSE}) and remove by id ({@link Frames#DL_REMOVE}), through the backbone's
 * {@link dev.courier.spi.DeadLetterBrowsing}.
 */
final class SessionDeadLetters {
    private final HubSession session;
    private final HubServer hub;
    private final WebSocketPrincipal principal;

    SessionDeadLetters(HubSession session) {
        this.session = session;
        this.hub = session.hub;
        this.principal = session.principal;
    }

    /** A browse or remove frame, answered with a confirm carrying the result or with an error frame. */
    void handle(String type, JsonNode d, String seq) {
        String service = Frames.text(d, "service");
        if (service == null || !hub.s.authorizer().allows(principal, Operation.SERVICE, service)) {
            session.error(seq, "forbidden", principal.name() + " may not read the dead letters of '" + service + "'");
            return;
        }
        if (type.equals(Frames.DL_REMOVE)) {
            String messageId = Frames.text(d, "id");
            boolean removed = messageId != null && hub.deadLetterChannel(service).remove(messageId);
            ObjectNode r = Frames.data();
            r.put("removed", removed);
            session.confirm(seq, r);
            return;
        }
        int max = Math.max(1, Math.min(1000, d.path("max").asInt(100)));
        List<RawMessage> list = hub.deadLetterChannel(service).browse(max);
        ObjectNode r = Frames.data();
        ArrayNode arr = r.putArray("messages");
        for (RawMessage m : list) {
            ObjectNode one = arr.addObject();
            m.headers().forEach(one::put);
            one.put("data_base64", Base64.getEncoder().encodeToString(m.body()));
        }
        session.confirm(seq, r);
    }
}
