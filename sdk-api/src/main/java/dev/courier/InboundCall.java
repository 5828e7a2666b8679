package dev.courier;



/**
 * One step of the inbound chain of one handler attempt: link {@code index} of {@code links}, the
 * handler after the last. Each step is its own object, so a link that calls proceed() twice is told
 * so instead of running the rest again. Internal.
 */
final class InboundCall implements InboundChain {

    /** What the chain ends in, and what it knows about the attempt. */
    interface Attempt {
        void runHandler() throws Exception;

        AttemptOutcome outcomeOf(Throwable error);
    }

    private final Interceptor.Inbound[] links;
    private final int index;
    private final Envelope envelope;
    private final int attempt;
    private final String service;
    private final MessageKind kind;
    private final String protocol;
    private final Attempt end;
    private boolean proceeded;

    InboundCall(Interceptor.Inbound[] links, int index, Envelope envelope, int attempt, String service, MessageKind kind,
                String protocol, Attempt end) {
        this.links = links;
        this.index = index;
        this.envelope = envelope;
        this.attempt = attempt;
        this.service = service;
        this.kind = kind;
        this.protocol = protocol;
        this.end = end;
    }

    /** Runs the whole chain from its first link. */
    void run() throws Exception {
        if (index < links.length) {
            links[index].intercept(this);
        } else {
            end.runHandler();
        }
    }

    @Override
    public void proceed() throws Exception {
        if (proceeded) {
            throw new CourierException("proceed() was already called by inbound interceptor "
                    + links[index].getClass().getName() + "; call it at most once");
        }
        proceeded = true;
        new InboundCall(links, index + 1, envelope, attempt, service, kind, protocol, end).run();
    }

    @Override
    public AttemptOutcome outcomeOf(Throwable error) {
        return end.outcomeOf(error);
    }

    @Override
    public Envelope envelope() {
        return envelope;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public String service() {
        return service;
    }

    @Override
    public MessageKind kind() {
        return kind;
    }

    @Override
    public String protocol() {
        return protocol;
    }

}
