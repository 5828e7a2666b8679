package dev.courier;


import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The bus's {@link BusListener}s, in registration order, as one built-in inbound link (handled, the
 * immediate retried) and the events of the pipeline steps without a handler attempt around them.
 * A listener that throws is logged and ignored. Internal.
 */
final class Listeners implements Interceptor.Inbound {
    private final BusListener[] all;

    Listeners(List<BusListener> listeners) {
        this.all = listeners.stream().filter(l -> l != BusListener.NONE).toArray(BusListener[]::new);
    }

    boolean isEmpty() {
        return all.length == 0;
    }

    @Override
    public void intercept(InboundChain chain) throws Exception {
        long t0 = System.nanoTime();
        try {
            chain.proceed();
        } catch (Throwable t) {
            if (chain.outcomeOf(t) == AttemptOutcome.RETRY) {
                Envelope env = chain.envelope();
                int attempt = chain.attempt();
                each(l -> l.retried(env, attempt, false, t));
            }
            throw t;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        Envelope env = chain.envelope();
        each(l -> l.handled(env, took));
    }

    void published(String type, String id) {
        each(l -> l.published(type, id));
    }

    void duplicate(String service, Envelope env) {
        each(l -> l.duplicate(service, env));
    }

    void redelivering(Envelope env, int attempts, Throwable error) {
        each(l -> l.retried(env, attempts, true, error));
    }

    void deadLettered(String service, Envelope env, String id, String type, Throwable error) {
        each(l -> l.deadLettered(service, env, id, type, error));
    }

    void replied(String service, String requestType, Duration waited, Throwable error) {
        each(l -> l.replied(service, requestType, waited, error));
    }

    private void each(Consumer<BusListener> call) {
        for (BusListener l : all) {
            BusCore.safe(() -> call.accept(l));
        }
    }
}
