package dev.courier.websocket.protocol;

import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.framing.Framedata;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Courier's own frame writer produces what Java-WebSocket reads back, masked (client) or not (server). */
class WireFramesTest {

    private static String text(int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(i % 97 == 0 ? '\u00e9' : (char) ('a' + i % 26));
        }
        return b.toString();
    }

    @Test
    void everyLengthClassReadsBackAsOneTextFrame() throws Exception {
        for (boolean client : new boolean[] {true, false}) {
            WireFrames w = client ? WireFrames.client() : WireFrames.server();
            for (int n : new int[] {0, 1, 3, 4, 5, 60, 124, 125, 126, 127, 65534, 65535, 65536, 70_000}) {
                String s = text(n);
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                byte[] wire = w.frame(utf8);
                assertEquals(client, (wire[1] & 0x80) != 0, "masked exactly when the client sends");
                List<Framedata> frames = new Draft_6455().translateFrame(ByteBuffer.wrap(wire));
                assertEquals(1, frames.size(), "length " + n);
                Framedata f = frames.get(0);
                assertEquals(Opcode.TEXT, f.getOpcode());
                assertTrue(f.isFin());
                ByteBuffer p = f.getPayloadData();
                byte[] got = new byte[p.remaining()];
                p.get(got);
                assertArrayEquals(utf8, got, "payload of length " + n + (client ? " (masked)" : ""));
            }
        }
    }

    @Test
    void aClientDrawsAFreshMaskingKeyForEveryFrame() {
        WireFrames w = WireFrames.client();
        byte[] a = w.frame(new byte[8]);
        byte[] b = w.frame(new byte[8]);
        // with a zero payload the masked bytes are the key itself, repeated
        assertNotEquals(ByteBuffer.wrap(a, 2, 4), ByteBuffer.wrap(b, 2, 4));
    }
}
