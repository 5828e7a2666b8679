package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.Headers;
import dev.courier.spi.RawMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Lists, replays and discards a service's dead letters through the transport's channel. Internal. */
final class DeadLettersImpl implements DeadLetters {
    /** How far replay and discard look for an id. */

    private final BusCore core;
    private final DeadLetterChannel channel;

    DeadLettersImpl(BusCore core, DeadLetterChannel channel) {
        this.core = core;
        this.channel = channel != null ? channel : new DeadLetterChannel() {
            @Override
            public List<dev.courier.spi.RawMessage> browse(int max) {
                throw new CourierException("the transport " + core.settings().transport().describe()
                        + " cannot read dead letters back (it lacks the DeadLetterBrowsing ability); they are"
                        + " written to it, read them with the broker's own tools");
            }

            @Override
            public boolean remove(String messageId) {
                return false;
            }
        };
    }

    @Override
    public List<DeadLetter> list(int max) {
        if (max < 1) {
            throw new CourierException("max must be positive, was " + max);
        }
        List<DeadLetter> out = new ArrayList<>();
        for (RawMessage m : browse(max)) {
            out.add(toDeadLetter(m));
        }
        return out;
    }

    /** The channel's dead letters; what the transport throws becomes a CourierException. */
    private List<RawMessage> browse(int max) {
        try {
            return channel.browse(max);
        } catch (CourierException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CourierException("could not list the dead letters of service '" + core.settings().service()
                    + "': " + e.getMessage(), e);
        }
    }

    static DeadLetter toDeadLetter(RawMessage m) {
        Map<String, String> h = m.headers();
        int attempts;
        try {
            attempts = Integer.parseInt(h.getOrDefault(Headers.DL_ATTEMPTS, "0"));
        } catch (NumberFormatException e) {
            attempts = 0;
        }
        return new DeadLetter(h.get(Headers.ID), h.get(Headers.TYPE), h.get(Headers.DL_ERROR_TYPE),
                h.get(Headers.DL_ERROR_MESSAGE), attempts, h.get(Headers.DL_ADDRESS), h, m.body());
    }

    @Override
    public CompletableFuture<Void> replay(String messageId) {
        java.util.Objects.requireNonNull(messageId, "messageId");
        try {
            return replayNow(messageId);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e instanceof CourierException ? e
                    : new CourierException("could not replay dead letter " + messageId + ": " + e.getMessage(), e));
        }
    }

    private CompletableFuture<Void> replayNow(String messageId) {
        RawMessage found = channel.get(messageId).orElse(null);
        if (found == null) {
            return CompletableFuture.failedFuture(new CourierException("no dead letter with id " + messageId
                    + " in service '" + core.settings().service() + "'"));
        }
        Map<String, String> h = new HashMap<>(found.headers());
        String address = h.get(Headers.DL_ADDRESS);
        for (String k : new String[] {Headers.DL_ERROR_TYPE, Headers.DL_ERROR_MESSAGE, Headers.DL_STACK_TRACE,
                Headers.DL_ATTEMPTS, Headers.DL_ADDRESS, Headers.DL_SERVICE, Headers.DL_FIRST_FAILURE, Headers.DL_LAST_FAILURE,
                Headers.DL_TRUNCATED, Headers.DL_FAILURES, Headers.CLAIM_FAILURES}) {
            h.remove(k);
        }
        h.remove(Headers.REPLY_TO);
        h.remove(Headers.DEADLINE);
        String service = core.settings().service();
        Address from;
        try {
            from = Address.parse(address);
        } catch (CourierException e) {
            from = null;
        }
        Address to;
        if (from != null && from.kind() == Address.Kind.COMMAND) {
            to = from.withoutGroup();
        } else if (from != null && from.kind() == Address.Kind.EVENT) {
            to = Address.event(from.name(), service);
        } else {
            return CompletableFuture.failedFuture(new CourierException("dead letter " + messageId
                    + " cannot be replayed: it did not come from an event or command address (" + address + ")"));
        }
        // channel.remove blocks (a transport may republish what it keeps and wait for the broker): never on the
        // thread that completed the send, which may be the very thread its own confirms complete on
        return core.send(to, h, found.body(), h.get(Headers.TYPE))
                .thenRunAsync(() -> channel.remove(messageId), core.settings().handlerExecutor());
    }

    @Override
    public boolean discard(String messageId) {
        try {
            return channel.remove(messageId);
        } catch (CourierException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CourierException("could not discard dead letter " + messageId + ": " + e.getMessage(), e);
        }
    }
}
