package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import org.slf4j.Logger;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a message this bus makes gets its wire form: its registered type, its headers (ids, time,
 * correlation from the handler it is made in, W3C trace context ({@link TraceContext}: a new parent id
 * per message), the user's headers checked) and its body, checked against the size limits once: here,
 * or after the outbound interceptors when they run. Internal.
 */
final class Outgoing {
    private final BusSettings s;
    private final Set<String> produces;
    private final Logger log;
    private final Set<String> undeclaredWarned = ConcurrentHashMap.newKeySet();
    private volatile Limits limits = Limits.DEFAULTS;
    private volatile Limits capacity = Limits.DEFAULTS;

    Outgoing(BusSettings settings, Set<String> produces, Logger log) {
        this.s = settings;
        this.produces = produces;
        this.log = log;
    }

    /** Takes the transport's limits (once it has started): checks use the smaller of them and Courier's own. */
    void transportLimits(Limits transport) {
        capacity = transport;
        limits = Limits.DEFAULTS.min(transport);
    }

    /** What every message is checked against. */
    Limits limits() {
        return limits;
    }

    /** What the transport itself can carry: dead letters are fitted to it. */
    Limits capacity() {
        return capacity;
    }

    /** Checks a message this bus makes, once, where it is made; throws LimitExceededException. */
    void check(String type, Map<String, String> headers, byte[] body) {
        LimitCheck.check(limits, () -> type + " " + LimitCheck.shortened(headers.get(Headers.ID), 40), headers, body);
    }

    /** The wire form of {@code message} with id {@code id}, made inside {@code parent} (may be null), checked. */
    BusCore.Prepared make(Object message, String id, HandlerContext parent, Map<String, String> userHeaders) {
        BusCore.Prepared p = makeUnchecked(message, id, parent, userHeaders);
        check(p.type(), p.headers(), p.body());
        return p;
    }

    /** Like {@link #make} but not checked yet: the outbound chain may still change the headers. */
    BusCore.Prepared makeUnchecked(Object message, String id, HandlerContext parent, Map<String, String> userHeaders) {
        MessageType type = typeOf(message);
        Map<String, String> h = headers(type.name(), id, parent, userHeaders);
        Address to = type.kind() == MessageType.Kind.EVENT ? Address.event(type.name()) : Address.command(type.name());
        byte[] body = s.codec().encode(message);
        return new BusCore.Prepared(to, h, body, type.name());
    }

    MessageType typeOf(Object message) {
        java.util.Objects.requireNonNull(message, "message");
        MessageType type = s.registry().resolve(message.getClass());
        if (!produces.contains(type.name()) && undeclaredWarned.add(type.name())) {
            String text = "service '" + s.service() + "' publishes " + type.name() + " (" + message.getClass().getName()
                    + ") without declaring it with produces(...); the contract will miss it";
            if (s.strictProduces()) {
                undeclaredWarned.remove(type.name());
                throw new ConfigurationException(text + " (strictProduces)");
            }
            log.warn(text);
        }
        return type;
    }

    /** Headers of a new message; {@code parent} (may be null) supplies correlation and trace context. */
    Map<String, String> headers(String type, String id, HandlerContext parent, Map<String, String> user) {
        Map<String, String> h = new HashMap<>(16);
        if (!user.isEmpty()) {
            String own = user.get(Headers.ID);
            if (own != null) {
                if (own.isBlank()) {
                    throw new PublishException("an explicit message id must not be blank");
                }
                id = own; // its size is checked in bytes with the rest of the message (check)
            }
            for (Map.Entry<String, String> e : user.entrySet()) {
                String k = e.getKey();
                if (k.equals(Headers.ID)) {
                    continue;
                }
                if (!Headers.isValidName(k)) {
                    throw new PublishException("header name '" + k + "' is not a valid CloudEvents attribute"
                            + " name: use lower-case a-z and 0-9 only, at most 20 characters");
                }
                if (Headers.RESERVED.contains(k)) {
                    throw new PublishException("header name '" + k + "' is reserved by Courier/CloudEvents");
                }
                if (e.getValue() == null) {
                    throw new PublishException("header '" + k + "' has a null value");
                }
                h.put(k, e.getValue());
            }
        }
        h.put(Headers.ID, id);
        h.put(Headers.SOURCE, s.service());
        h.put(Headers.TYPE, type);
        h.put(Headers.TIME, Times.now(s.clock()));
        h.put(Headers.SPECVERSION, Headers.SPEC_VERSION_1_0);
        h.put(Headers.DATACONTENTTYPE, s.codec().contentType());
        if (parent != null) {
            Envelope p = parent.envelope();
            h.put(Headers.CORRELATION_ID, p.correlationId() != null ? p.correlationId() : p.id());
            h.put(Headers.CAUSATION_ID, p.id());
            TraceContext.next(h, p);
        } else {
            h.put(Headers.CORRELATION_ID, id);
            TraceContext.next(h, null);
        }
        return h;
    }

    Map<String, String> replyHeaders(Envelope request, String id, String status, Object reply) {
        Map<String, String> h = new HashMap<>(16);
        h.put(Headers.ID, id);
        h.put(Headers.SOURCE, s.service());
        h.put(Headers.TYPE, replyType(request, reply));
        h.put(Headers.TIME, Times.now(s.clock()));
        h.put(Headers.SPECVERSION, Headers.SPEC_VERSION_1_0);
        h.put(Headers.DATACONTENTTYPE, s.codec().contentType());
        h.put(Headers.CORRELATION_ID, request.correlationId() != null ? request.correlationId() : request.id());
        h.put(Headers.CAUSATION_ID, request.id());
        h.put(Headers.REPLY_STATUS, status);
        TraceContext.next(h, request);
        return h;
    }

    private static String replyType(Envelope request, Object reply) {
        if (reply != null && reply.getClass().isAnnotationPresent(dev.courier.MessageName.class)) {
            return reply.getClass().getAnnotation(dev.courier.MessageName.class).value();
        }
        return request.type() + ".reply";
    }
}
