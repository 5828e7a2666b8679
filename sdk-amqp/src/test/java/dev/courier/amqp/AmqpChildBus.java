package dev.courier.amqp;

import dev.courier.MessageBus;
import dev.courier.kit.KitMessages.Pinged;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What {@link AmqpJvmExitTest} runs in a child JVM: a bus on the AMQP URI it is given handles one
 * event it published itself, closes, prints {@value #CLOSED} and returns from {@code main}. The JVM
 * must then exit by itself.
 */
public final class AmqpChildBus {
    static final String CLOSED = "child: closed";

    private AmqpChildBus() {
    }

    public static void main(String[] args) throws Exception {
        CompletableFuture<Integer> handled = new CompletableFuture<>();
        MessageBus bus = MessageBus.builder(args[1]).transport(args[0]).produces(Pinged.class)
                .onEvent(Pinged.class, (e, ctx) -> handled.complete(e.n()))
                .build().start();
        bus.publish(new Pinged(7, "from a child JVM")).get(60, TimeUnit.SECONDS);
        handled.get(60, TimeUnit.SECONDS);
        bus.close();
        System.out.println(CLOSED);
        System.out.flush();
    }
}
