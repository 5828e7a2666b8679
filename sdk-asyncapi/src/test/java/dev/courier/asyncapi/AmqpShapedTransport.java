package dev.courier.asyncapi;

import dev.courier.memory.InMemoryTransportProvider;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The in-memory transport dressed as AMQP for the contract: protocol, host and the wire map the
 * AMQP transport reports (exchange, exchangeType, routingKey, queue, queueType), without a broker.
 */
final class AmqpShapedTransport implements Transport, dev.courier.spi.WireDescription,
        dev.courier.spi.DeadLetterBrowsing {
    private final Transport memory = new InMemoryTransportProvider().create(URI.create("memory:amqp-shaped"));
    private final String host;

    AmqpShapedTransport(String host) {
        this.host = host;
    }

    @Override
    public String protocol() {
        return "amqp";
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public Map<String, String> wireAddress(Address address, String group) {
        Map<String, String> m = new LinkedHashMap<>();
        if (address.kind() == Address.Kind.EVENT) {
            m.put("exchange", "courier.events");
            m.put("exchangeType", "topic");
            m.put("routingKey", address.name());
            if (group != null) {
                m.put("queue", group + "." + address.name());
                m.put("queueType", "quorum");
            }
        } else {
            m.put("exchange", "courier.commands");
            m.put("exchangeType", "direct");
            m.put("routingKey", address.name());
            m.put("queue", "command." + address.name());
            m.put("queueType", "quorum");
        }
        return m;
    }

    @Override
    public void start(TransportContext context) {
        memory.start(context);
    }

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        return memory.publish(to, headers, body);
    }

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        return memory.subscribe(address, group, prefetch, callback);
    }

    @Override
    public DeadLetterChannel deadLetters(String service) {
        return ((dev.courier.spi.DeadLetterBrowsing) memory).deadLetters(service);
    }

    @Override
    public boolean isConnected() {
        return memory.isConnected();
    }

    @Override
    public Set<Capability> capabilities() {
        return memory.capabilities();
    }

    @Override
    public String describe() {
        return "amqp-shaped " + memory.describe();
    }

    @Override
    public void close() {
        memory.close();
    }
}
