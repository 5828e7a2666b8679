package dev.courier.websocket.hub;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.util.Collection;

/**
 * A workaround for Java-WebSocket 1.6.0's selector: after writing a connection's queue empty, it sets the
 * connection's interest to read only, so a frame a worker queued (and asked write interest for) in between
 * loses it and waits until the next frame to that connection - a publish confirm then never arrives and the
 * client times out (seen under load: HubSecurityTest's slow-reader case, the publisher's confirm stuck with
 * 1 frame queued on an idle hub). The hub's timer runs {@link #nudge} every 100 ms.
 */
final class WriteNudge {
    private WriteNudge() {
    }

    /** Gives write interest back to each connection whose frames wait without it. */
    static void nudge(Collection<WebSocket> connections) {
        for (WebSocket c : connections) {
            if (c instanceof WebSocketImpl && c.hasBufferedData()) {
                SelectionKey k = ((WebSocketImpl) c).getSelectionKey();
                try {
                    if (k != null && k.isValid() && (k.interestOps() & SelectionKey.OP_WRITE) == 0) {
                        k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                        k.selector().wakeup();
                    }
                } catch (CancelledKeyException closed) {
                    // closed meanwhile: nothing to write
                }
            }
        }
    }
}
