package dev.courier.amqp;

import com.rabbitmq.client.ConnectionFactory;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.PublishException;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one configuration convention on AMQP, without a broker: AmqpConfig, its URI, its errors. */
class AmqpConfigTest {

    @Test
    void uriDurationsTakeCouriersOneSyntaxAndBareSecondsStillWork() {
        AmqpConfig c = AmqpConfig.fromUri("amqp://h/?startTimeout=PT5S&heartbeat=10&maxReconnectDelay=500ms");
        assertEquals(Duration.ofSeconds(5), c.startTimeout());
        assertEquals(Duration.ofSeconds(10), c.heartbeat(), "a bare number is seconds, as before");
        assertEquals(Duration.ofMillis(500), c.maxReconnectDelay());
        assertEquals(Duration.ofSeconds(7), AmqpConfig.fromUri("amqp://h/?startTimeout=7s").startTimeout());
    }

    @Test
    void aBadDurationIsNamedWithTheOthersAndNeverThePassword() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> AmqpConfig.fromUri("amqp://u:s3cret@h/?heartbeat=soon&queueType=fancy&confirmWindow=0"));
        String m = e.getMessage();
        for (String s : List.of("heartbeat", "soon", "queueType", "confirmWindow")) {
            assertTrue(m.contains(s), "names " + s + ": " + m);
        }
        assertFalse(m.contains("s3cret"), m);
    }

    @Test
    void theStartTimeoutIsTheBussUnlessTheTransportSetsItsOwn() {
        assertNull(AmqpConfig.builder().build().startTimeout(), "null: the bus's start timeout applies");
        assertEquals(Duration.ofSeconds(3), AmqpConfig.builder().startTimeout(Duration.ofSeconds(3)).build().startTimeout());
    }

    @Test
    void toBuilderKeepsEverySettingAndTheRecordHidesThePassword() {
        AmqpConfig c = AmqpConfig.fromUri("amqps://app:pw%40x@r1,r2:5673/prod%2Feu?namespace=ns&prefetch=7");
        assertEquals(c, c.toBuilder().build());
        assertEquals(List.of("r1:5671", "r2:5673"), c.addresses());
        assertEquals("pw@x", c.password());
        assertEquals("prod/eu", c.virtualHost());
        assertFalse(c.toString().contains("pw@x") || c.toString().contains("pw%40x"), c.toString());
        assertEquals(8, c.toBuilder().prefetch(8).build().prefetch());
    }

    @Test
    void aCustomSslContextReachesTheConnectionFactory() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        AmqpConfig c = AmqpConfig.builder().addresses("rabbit").sslContext(ctx).build();
        assertTrue(c.tls(), "an SSLContext implies TLS");
        assertEquals(List.of("rabbit:5671"), c.addresses(), "the TLS port");
        ConnectionFactory f = AmqpConnections.factory(c);
        assertTrue(f.isSSL());
        assertSame(ctx, AmqpConnections.sslContext(c));
    }

    @Test
    void theProviderFailsABadUriWithAConfigurationException() {
        // before: IllegalArgumentException
        assertThrows(ConfigurationException.class,
                () -> new AmqpTransportProvider().create(URI.create("amqp://h/?bogus=1")));
    }

    @Test
    void callsBeforeStartFailWithCourierErrorsNeverIllegalState() throws Exception {
        AmqpTransport t = AmqpTransport.of("amqp://127.0.0.1:1/");
        // before: IllegalStateException
        assertThrows(CourierException.class, () -> t.subscribe(Address.event("v1.a.b"), "g", 1, d -> { }));
        CompletableFuture<Void> f = t.publish(Address.event("v1.a.b"), Map.of(Headers.ID, "1"), new byte[0]);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertInstanceOf(PublishException.class, e.getCause());
        assertThrows(ConfigurationException.class, () -> AmqpTransport.of(new AmqpConfig(List.of(), "u", "p", "/",
                false, null, "", "a", "b", AmqpTransport.QueueType.CLASSIC, 0, 1, 1, null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), null, null)), "a record made by hand is checked too");
    }
}
