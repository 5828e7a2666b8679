package dev.courier;


import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** One step of the outbound chain of one message; Courier's own end after the last link. Internal. */
final class OutboundCall implements OutboundChain {

    /** What the outbound chain shares between its steps. */
    record Message(Envelope envelope, Map<String, String> headers, Envelope parent, MessageKind kind,
                   String destination, String service, String protocol, boolean outbox,
                   Supplier<CompletableFuture<Void>> end) {
    }

    private final Interceptor.Outbound[] links;
    private final int index;
    private final Message m;
    private boolean proceeded;

    OutboundCall(Interceptor.Outbound[] links, int index, Message m) {
        this.links = links;
        this.index = index;
        this.m = m;
    }

    CompletableFuture<Void> run() {
        if (index < links.length) {
            CompletableFuture<Void> f = links[index].intercept(this);
            if (f == null) {
                throw new PublishException("outbound interceptor " + links[index].getClass().getName()
                        + " returned null instead of a future");
            }
            return f;
        }
        return m.end().get();
    }

    @Override
    public CompletableFuture<Void> proceed() {
        if (proceeded) {
            throw new PublishException("proceed() was already called by outbound interceptor "
                    + links[index].getClass().getName() + "; call it at most once");
        }
        proceeded = true;
        return new OutboundCall(links, index + 1, m).run();
    }

    @Override
    public Envelope envelope() {
        return m.envelope();
    }

    @Override
    public Map<String, String> headers() {
        return m.headers();
    }

    @Override
    public Envelope parent() {
        return m.parent();
    }

    @Override
    public MessageKind kind() {
        return m.kind();
    }

    @Override
    public String destination() {
        return m.destination();
    }

    @Override
    public String service() {
        return m.service();
    }

    @Override
    public String protocol() {
        return m.protocol();
    }

    @Override
    public boolean outbox() {
        return m.outbox();
    }
}
