package dev.courier.samples.ordering;

import dev.courier.Envelope;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.NonRetryableException;
import dev.courier.samples.ordering.Messages.CustomerNotified;
import dev.courier.samples.ordering.Messages.CustomerOrders;
import dev.courier.samples.ordering.Messages.OrderHistory;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.OrderShipped;
import dev.courier.samples.ordering.Messages.PaymentCaptured;
import dev.courier.samples.ordering.Messages.Step;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers every customer's recent orders, event by event, and answers {@code v1.order.history} with
 * them: the read side a page asks when it is reloaded or opened in another tab (live events reach a
 * tab only while it is connected). Bounded: the last {@value #ORDERS_PER_CUSTOMER} orders of at most
 * {@value #CUSTOMERS} customers, in memory (a real service would keep them in its database).
 */
public final class TrackingService {
    static final int ORDERS_PER_CUSTOMER = 20;
    static final int CUSTOMERS = 10_000;
    private static final int STEPS_PER_ORDER = 32;

    private TrackingService() {
    }

    public static MessageBus.Builder configure(MessageBus.Builder bus) {
        // customer -> correlation id -> steps; both maps evict their eldest entry past the bound
        Map<String, Map<String, List<Step>>> customers = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, List<Step>>> eldest) {
                return size() > CUSTOMERS;
            }
        };
        Recorder record = (customer, event, envelope) -> {
            if (customer == null || envelope.correlationId() == null) {
                return;
            }
            Step step = new Step(envelope.type(), envelope.id(), envelope.correlationId(), envelope.causationId(),
                    envelope.time() == null ? null : envelope.time().toInstant().toString(), event);
            synchronized (customers) {
                Map<String, List<Step>> orders = customers.computeIfAbsent(customer, c -> new LinkedHashMap<>() {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, List<Step>> eldest) {
                        return size() > ORDERS_PER_CUSTOMER;
                    }
                });
                List<Step> steps = orders.computeIfAbsent(envelope.correlationId(), c -> new ArrayList<>());
                if (steps.size() < STEPS_PER_ORDER && steps.stream().noneMatch(s -> s.id().equals(step.id()))) {
                    steps.add(step); // a redelivered event is recorded once
                }
            }
        };
        return bus
                .onEvent(OrderPlaced.class, (e, ctx) -> record.add(e.customerId(), e, ctx.envelope()))
                .onEvent(PaymentCaptured.class, (e, ctx) -> record.add(ctx.envelope().subject(), e, ctx.envelope()))
                .onEvent(OrderShipped.class, (e, ctx) -> record.add(ctx.envelope().subject(), e, ctx.envelope()))
                .onEvent(CustomerNotified.class, (e, ctx) -> record.add(e.customerId(), e, ctx.envelope()))
                .onCommand(OrderHistory.class, (q, ctx) -> {
                    if (q.customerId() == null || q.customerId().isBlank()) {
                        throw new NonRetryableException("the customer id is missing");
                    }
                    Requester.requireOwn(q.customerId(), ctx, "ask for their own orders");
                    List<Step> steps = new ArrayList<>();
                    synchronized (customers) {
                        customers.getOrDefault(q.customerId(), Map.of()).values().forEach(steps::addAll);
                    }
                    if (ctx.isRequest()) {
                        ctx.reply(new CustomerOrders(q.customerId(), steps));
                    }
                });
    }

    @FunctionalInterface
    private interface Recorder {
        void add(String customer, Event event, Envelope envelope);
    }
}
