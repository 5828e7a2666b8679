package dev.courier.websocket.hub;

import dev.courier.PublishTimeoutException;
import dev.courier.UnroutableException;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.websocket.hub.Authorizer.Operation;
import dev.courier.websocket.protocol.Frames;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;

/**
 * The publish path of one connection: a message frame checked (address, attribute sizes, authorization),
 * its id claimed hub-wide for the principal, published to the backbone and answered with a confirm or an
 * error frame. Remembers the ids this connection sent, so that it sees the events that answer them.
 */
final class SessionPublisher {
    private static final int MAX_CORRELATIONS = 1024;

    private final HubSession session;
    private final HubServer hub;
    private final WebSocketPrincipal principal;
    /** Ids of messages this connection sent (the last 1024), each claimed hub-wide for this principal. */
    private final Set<String> correlations = Collections.newSetFromMap(new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            if (size() > MAX_CORRELATIONS) {
                hub.messageIds.release(eldest.getKey());
                return true;
            }
            return false;
        }
    });

    SessionPublisher(HubSession session) {
        this.session = session;
        this.hub = session.hub;
        this.principal = session.principal;
    }

    /** A message frame from the client; the confirm or error frame follows once the backbone answered. */
    void publish(Frames.Frame f, String seq) {
        String to = f.attr(Frames.TO);
        if (to == null) {
            session.error(seq, "malformed", "a message frame needs the attribute courierwsto (e.g. \"event:v1.order.placed\")");
            return;
        }
        Address address = HubSession.parseAddress(to);
        if (address == null) {
            session.error(seq, "malformed", "courierwsto must be event:<name>[@<service>], command:<name>, reply:<address>"
                    + " or dead_letter:<service>, was '" + to + "'");
            return;
        }
        for (String attribute : Limits.ATTRIBUTES) {
            String v = f.headers().get(attribute);
            // a char is at most 3 UTF-8 bytes: count bytes only when the length alone does not decide
            if (v != null && v.length() * 3L > hub.s.maxAttributeBytes()
                    && v.getBytes(StandardCharsets.UTF_8).length > hub.s.maxAttributeBytes()) {
                session.error(seq, "too_large", "attribute '" + attribute + "' is longer than " + hub.s.maxAttributeBytes()
                        + " bytes (UTF-8); the message was refused");
                return;
            }
        }
        if (!mayPublish(address)) {
            session.error(seq, "forbidden", principal.name() + " may not publish to " + address);
            return;
        }
        String messageId = f.headers().get(Headers.ID);
        boolean claimed = false;
        if (messageId != null && (address.kind() == Address.Kind.COMMAND || address.kind() == Address.Kind.EVENT)) {
            // the id is claimed before the publish (a fast answer may come before the confirm) and given back
            // when the publish fails: a refused send registers nothing (issue 11.10)
            synchronized (correlations) {
                if (!correlations.contains(messageId)) {
                    if (!hub.messageIds.claim(messageId, principal.name())) {
                        session.error(seq, "forbidden", "message id " + messageId + " is in use by another principal;"
                                + " ids must be unique");
                        return;
                    }
                    correlations.add(messageId);
                    claimed = true;
                }
            }
        }
        boolean release = claimed;
        hub.backbone.publish(address, f.headers(), f.body()).whenComplete((x, e) -> {
            if (e != null && release) {
                synchronized (correlations) {
                    if (correlations.remove(messageId)) {
                        hub.messageIds.release(messageId);
                    }
                }
            }
            if (e == null) {
                if (seq != null) {
                    session.confirmPublish(seq);
                }
            } else {
                Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                String code = c instanceof PublishTimeoutException ? "full"
                        : c instanceof UnroutableException ? "unroutable" : "refused";
                session.error(seq, code, String.valueOf(c.getMessage()));
            }
        });
    }

    private boolean mayPublish(Address a) {
        Authorizer z = hub.s.authorizer();
        switch (a.kind()) {
            case EVENT:
                return a.group() == null ? z.allows(principal, Operation.PUBLISH, a.name())
                        : z.allows(principal, Operation.SERVICE, a.group());
            case COMMAND:
                return z.allows(principal, Operation.SEND, a.name());
            case REPLY:
                return z.allows(principal, Operation.REPLY, a.name());
            case DEAD_LETTER:
                return z.allows(principal, Operation.SERVICE, a.name());
            default:
                return false;
        }
    }

    /** True when this connection sent a message with this id (one of its last 1024). */
    boolean sent(String messageId) {
        synchronized (correlations) {
            return correlations.contains(messageId);
        }
    }

    /** On close: every id this connection claimed let go. */
    void releaseAll() {
        synchronized (correlations) {
            for (String messageId : correlations) {
                hub.messageIds.release(messageId);
            }
            correlations.clear();
        }
    }
}
