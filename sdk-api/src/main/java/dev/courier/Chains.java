package dev.courier;


import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The bus's two interceptor chains, fixed at build time. Inbound: MDC, the listeners, the user's
 * inbound interceptors in registration order. Outbound: the user's outbound interceptors in
 * registration order; with none, a message goes straight to Courier's end. Internal.
 */
final class Chains {
    private final Interceptor.Inbound[] inbound;
    private final Interceptor.Outbound[] outbound;
    private final Listeners listeners;

    Chains(List<Interceptor> interceptors, List<BusListener> busListeners) {
        this.listeners = new Listeners(busListeners);
        List<Interceptor.Inbound> in = new ArrayList<>();
        List<Interceptor.Outbound> out = new ArrayList<>();
        in.add(MdcLink.INSTANCE);
        if (!listeners.isEmpty()) {
            in.add(listeners);
        }
        for (Interceptor i : interceptors) {
            if (i instanceof Interceptor.Inbound ib) {
                in.add(ib);
            }
            if (i instanceof Interceptor.Outbound ob) {
                out.add(ob);
            }
        }
        this.inbound = in.toArray(new Interceptor.Inbound[0]);
        this.outbound = out.toArray(new Interceptor.Outbound[0]);
    }

    Listeners listeners() {
        return listeners;
    }

    /** Runs one handler attempt through the inbound chain, on this thread. */
    void inbound(Envelope env, int attempt, String service, MessageKind kind, String protocol, InboundCall.Attempt end)
            throws Exception {
        new InboundCall(inbound, 0, env, attempt, service, kind, protocol, end).run();
    }

    /**
     * Runs an outgoing message through the outbound chain, on this thread; {@code end} checks the
     * (possibly changed) {@code headers} and sends or holds the message.
     */
    CompletableFuture<Void> outbound(Map<String, String> headers, Envelope parent, MessageKind kind, String destination,
                                     String service, String protocol, boolean outbox, Supplier<CompletableFuture<Void>> end) {
        if (outbound.length == 0) {
            return end.get();
        }
        OutboundCall.Message m = new OutboundCall.Message(Decoder.envelope(headers), new OutboundHeaders(headers),
                parent, kind, destination, service, protocol, outbox, end);
        return new OutboundCall(outbound, 0, m).run();
    }
}
