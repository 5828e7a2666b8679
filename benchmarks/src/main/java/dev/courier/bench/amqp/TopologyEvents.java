package dev.courier.bench.amqp;

import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;

import java.util.List;
import java.util.function.LongFunction;

/** The ten event types of amqp-topology: each service subscribes to all of them. */
final class TopologyEvents {
    private TopologyEvents() {
    }

    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e0") record E0(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e1") record E1(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e2") record E2(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e3") record E3(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e4") record E4(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e5") record E5(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e6") record E6(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e7") record E7(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e8") record E8(long seq, long sentNanos) implements Event { }
    /** @param seq the sequence number @param sentNanos when it was sent */
    @MessageName("v1.growth.e9") record E9(long seq, long sentNanos) implements Event { }

    static final List<Class<? extends Event>> TYPES = List.of(E0.class, E1.class, E2.class, E3.class, E4.class,
            E5.class, E6.class, E7.class, E8.class, E9.class);

    static final List<LongFunction<Event>> MAKERS = List.of(s -> new E0(s, System.nanoTime()),
            s -> new E1(s, System.nanoTime()), s -> new E2(s, System.nanoTime()), s -> new E3(s, System.nanoTime()),
            s -> new E4(s, System.nanoTime()), s -> new E5(s, System.nanoTime()), s -> new E6(s, System.nanoTime()),
            s -> new E7(s, System.nanoTime()), s -> new E8(s, System.nanoTime()), s -> new E9(s, System.nanoTime()));

    /** Registers {@code handler} for {@code type} (a helper that names the type variable). */
    static <E extends Event> MessageBus.Builder on(MessageBus.Builder b, Class<E> type, Runnable handler) {
        return b.onEvent(type, (e, ctx) -> handler.run());
    }
}
