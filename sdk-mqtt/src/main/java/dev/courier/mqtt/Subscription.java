package dev.courier.mqtt;

import dev.courier.spi.Address;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * One subscribe() call: hands at most {@code prefetch} unsettled deliveries to the callback and keeps
 * the rest, unacknowledged, in arrival order. Closing stops new deliveries; kept messages stay
 * unacknowledged, so the broker sends them again. Internal.
 */
final class Subscription implements TransportSubscription {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);

    final Address address;
    final String group;
    final String filter;
    private final int prefetch;
    private final DeliveryCallback callback;
    private final BooleanSupplier connected;
    private final ArrayDeque<MqttDelivery> waiting = new ArrayDeque<>();
    private int outstanding;
    private volatile boolean active = true;

    Subscription(Address address, String group, String filter, int prefetch, DeliveryCallback callback,
                 BooleanSupplier connected) {
        this.address = address;
        this.group = group;
        this.filter = filter;
        this.prefetch = Math.max(1, prefetch);
        this.callback = callback;
        this.connected = connected;
    }

    /** Delivers now or queues behind the prefetch limit. */
    void offer(MqttDelivery d) {
        synchronized (this) {
            if (!active || outstanding >= prefetch) {
                waiting.addLast(d);
                return;
            }
            outstanding++;
        }
        dispatch(d);
    }

    /** A delivery was settled: make room for the next one. */
    void settled() {
        MqttDelivery next;
        synchronized (this) {
            outstanding--;
            if (!active || waiting.isEmpty()) {
                return;
            }
            next = waiting.pollFirst();
            outstanding++;
        }
        dispatch(next);
    }

    private void dispatch(MqttDelivery d) {
        try {
            callback.onDelivery(d);
        } catch (RuntimeException e) {
            log.error("delivery callback failed on {}; the message comes back through the service's direct topic",
                    address, e);
            d.reject(true);
        }
    }

    @Override
    public boolean isActive() {
        return active && connected.getAsBoolean();
    }

    @Override
    public void close() {
        active = false;
    }

    /** True once the bus has stopped this subscription (it is closing). */
    boolean isClosed() {
        return !active;
    }
}
