package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.PaymentCaptured;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Captures payment when an order is placed. Its payment gateway is flaky: the first two calls
 * for each order time out, so the bus retries the handler and the third attempt succeeds.
 */
public final class PaymentService {
    private PaymentService() {
    }

    /** Thrown by the (pretend) gateway; retryable. */
    public static final class GatewayTimeout extends RuntimeException {
        public GatewayTimeout(String message) {
            super(message);
        }
    }

    public static MessageBus.Builder configure(MessageBus.Builder bus) {
        Map<String, AtomicInteger> gatewayCalls = new ConcurrentHashMap<>();
        return bus
                .produces(PaymentCaptured.class)
                .onEvent(OrderPlaced.class, (order, ctx) -> {
                    int call = gatewayCalls.computeIfAbsent(order.orderId(), k -> new AtomicInteger()).incrementAndGet();
                    if (call <= 2) {
                        throw new GatewayTimeout("payment gateway timed out (call " + call + ")");
                    }
                    ctx.publish(new PaymentCaptured(order.orderId(), order.total()), OrderingService.about(order.customerId()));
                });
    }
}
