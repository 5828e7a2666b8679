package dev.courier.kit;

import dev.courier.spi.Delivery;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Headers;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A {@link DeliveryCallback} that keeps every delivery, for the cases that use a raw transport. */
public final class Received implements DeliveryCallback {
    private final List<Delivery> all = new CopyOnWriteArrayList<>();
    private final Consumer<Delivery> then;

    /** Keeps deliveries and settles none of them. */
    public Received() {
        this(d -> { });
    }

    /**
     * Keeps deliveries and hands each to {@code then} (for example {@code Delivery::ack}).
     *
     * @param then called on the transport's delivery thread for each delivery
     */
    public Received(Consumer<Delivery> then) {
        this.then = then;
    }

    @Override
    public void onDelivery(Delivery d) {
        all.add(d);
        then.accept(d);
    }

    /**
     * Every delivery so far, in arrival order.
     *
     * @return a copy of the deliveries
     */
    public List<Delivery> all() {
        return List.copyOf(all);
    }

    /**
     * How often the message with {@code id} was delivered so far.
     *
     * @param id the message's CloudEvents {@code id}
     * @return the number of deliveries of that message
     */
    public int count(String id) {
        int n = 0;
        for (Delivery d : all) {
            if (id.equals(d.headers().get(Headers.ID))) {
                n++;
            }
        }
        return n;
    }

    /**
     * The {@code nth} (from 1) delivery of {@code id}, waiting for it up to {@code patience}.
     *
     * @param id the message's CloudEvents {@code id}
     * @param nth which delivery, from 1
     * @param patience the longest wait
     * @param check what to check in the transport, added to the failure message
     * @return the delivery
     * @throws AssertionError when it does not arrive within {@code patience}
     */
    public Delivery await(String id, int nth, Duration patience, String check) {
        Await.until(patience, () -> count(id) >= nth, () -> "delivery " + nth + " of message " + id + " did not arrive"
                + " (it arrived " + count(id) + " time(s)) — " + check);
        int n = 0;
        for (Delivery d : all) {
            if (id.equals(d.headers().get(Headers.ID)) && ++n == nth) {
                return d;
            }
        }
        throw new AssertionError("unreachable");
    }
}
