package dev.courier.websocket.hub;

import dev.courier.websocket.protocol.Frames;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeBuilder;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.protocols.IProtocol;
import org.java_websocket.protocols.Protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

/**
 * RFC 6455 with the hub's limits: the maximum frame and message size (Java-WebSocket's default is
 * Integer.MAX_VALUE, so one frame header could ask for 2 GiB), and a way to answer a refused
 * handshake with a real HTTP status (401, 403, 429, 503) instead of the library's fixed 404: the
 * handshake hook marks the response, and this draft writes a plain HTTP error for it.
 */
final class HubDraft extends Draft_6455 {
    /** Set on the response builder by the handshake hook to refuse: "401 Unauthorized". Never sent. */
    static final String REFUSE = "X-Courier-Refuse";

    private final int maxMessageBytes;
    private long fragmentedBytes;

    HubDraft(int maxMessageBytes) {
        super(Collections.emptyList(), protocols(), maxMessageBytes);
        this.maxMessageBytes = maxMessageBytes;
    }

    private static List<IProtocol> protocols() {
        // cloudevents.json is chosen when offered; "" accepts the rest so the hook can answer 400 itself.
        return List.of(new Protocol(Frames.PROTOCOL), new Protocol(""));
    }

    @Override
    public HandshakeBuilder postProcessHandshakeResponseAsServer(ClientHandshake request, ServerHandshakeBuilder response)
            throws InvalidHandshakeException {
        HandshakeBuilder b = super.postProcessHandshakeResponseAsServer(request, response);
        String refuse = response.getFieldValue(REFUSE);
        if (refuse != null && !refuse.isEmpty()) {
            int space = refuse.indexOf(' ');
            response.setHttpStatus(Short.parseShort(refuse.substring(0, space)));
            response.setHttpStatusMessage(refuse.substring(space + 1));
        }
        return b;
    }

    @Override
    public List<ByteBuffer> createHandshake(Handshakedata handshake, boolean withcontent) {
        String refuse = handshake instanceof ServerHandshake ? handshake.getFieldValue(REFUSE) : null;
        if (refuse != null && !refuse.isEmpty()) {
            String reason = refuse.substring(refuse.indexOf(' ') + 1);
            String body = reason + "\n";
            String text = "HTTP/1.1 " + refuse + "\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                    + "Connection: close\r\n\r\n" + body;
            return Collections.singletonList(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        }
        return super.createHandshake(handshake, withcontent);
    }

    /**
     * Java-WebSocket 1.6.0 checks the size of a fragmented message at its first and last frame only,
     * so endless continuation frames without FIN would grow its buffer without bound: count them here.
     */
    @Override
    public void processFrame(WebSocketImpl ws, Framedata frame) throws InvalidDataException {
        Opcode op = frame.getOpcode();
        if (op == Opcode.CONTINUOUS || ((op == Opcode.TEXT || op == Opcode.BINARY) && !frame.isFin())) {
            if (op != Opcode.CONTINUOUS) {
                fragmentedBytes = 0;
            }
            fragmentedBytes += frame.getPayloadData().remaining();
            if (fragmentedBytes > maxMessageBytes) {
                fragmentedBytes = 0;
                throw new LimitExceededException("message larger than " + maxMessageBytes + " bytes", maxMessageBytes);
            }
            if (frame.isFin()) {
                fragmentedBytes = 0;
            }
        }
        super.processFrame(ws, frame);
    }

    @Override
    public Draft copyInstance() {
        return new HubDraft(maxMessageBytes);
    }
}
