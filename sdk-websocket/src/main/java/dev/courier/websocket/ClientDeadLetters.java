package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.RawMessage;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The dead letters of one service, kept by the hub's backbone: listed and removed with control
 * requests. Each call blocks up to the publish timeout and throws a
 * {@link dev.courier.CourierException} when the hub refuses, does not answer or is not connected.
 */
final class ClientDeadLetters implements DeadLetterChannel {
    private final WebSocketTransport transport;
    private final String service;

    ClientDeadLetters(WebSocketTransport transport, String service) {
        this.transport = transport;
        this.service = service;
    }

    @Override
    public List<RawMessage> browse(int max) {
        ObjectNode d = Frames.data();
        d.put("service", service);
        d.put("max", max);
        JsonNode r = transport.await(transport.request(transport.link().live(), Frames.DL_BROWSE, d),
                "listing the dead letters of " + service);
        List<RawMessage> out = new ArrayList<>();
        for (JsonNode m : r.path("messages")) {
            Map<String, String> h = new HashMap<>();
            byte[] body = new byte[0];
            for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("data_base64")) {
                    body = Base64.getDecoder().decode(e.getValue().asText());
                } else {
                    h.put(e.getKey(), e.getValue().asText());
                }
            }
            out.add(new RawMessage(h, body));
        }
        return out;
    }

    @Override
    public boolean remove(String messageId) {
        ObjectNode d = Frames.data();
        d.put("service", service);
        d.put("id", messageId);
        return transport.await(transport.request(transport.link().live(), Frames.DL_REMOVE, d),
                "removing dead letter " + messageId).path("removed").asBoolean(false);
    }
}
