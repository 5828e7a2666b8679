package dev.courier.memory;

import dev.courier.PublishTimeoutException;
import dev.courier.spi.Address;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InMemoryBrokerTest {

    private static InMemoryTransport started(InMemoryBroker b) {
        InMemoryTransport t = b.connect();
        t.start(new TransportContext("test", "i1", Duration.ofMillis(100)));
        return t;
    }

    @Test
    void aQueueIsBoundedInBytesToo() throws Exception {
        InMemoryBroker b = InMemoryBroker.create(1000, 10, 10_000);
        InMemoryTransport t = started(b);
        b.declare(Address.command("v1.big.do"), "svc");
        byte[] body = new byte[4000];
        Map<String, String> h = Map.of("id", "x", "type", "v1.big.do");
        t.publish(Address.command("v1.big.do"), h, body).get(1, TimeUnit.SECONDS);
        t.publish(Address.command("v1.big.do"), h, body).get(1, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> t.publish(Address.command("v1.big.do"), h, body).get(1, TimeUnit.SECONDS));
        assertInstanceOf(PublishTimeoutException.class, e.getCause(), "the third 4 kB message passes 10 kB");
        assertEquals(2, b.depth(Address.command("v1.big.do"), "svc"));
        t.close();
    }

    @Test
    void replyQueuesDieWithTheirSubscription() {
        InMemoryBroker b = InMemoryBroker.create(10, 10);
        InMemoryTransport t = started(b);
        int before = b.queueCount();
        TransportSubscription s = t.subscribe(Address.reply("svc.i1"), "i1", 1, d -> d.ack());
        assertEquals(before + 1, b.queueCount());
        s.close();
        assertEquals(before, b.queueCount(), "a reply queue is auto-deleted, so tabs and instances do not leak queues");
        t.close();
    }
}
