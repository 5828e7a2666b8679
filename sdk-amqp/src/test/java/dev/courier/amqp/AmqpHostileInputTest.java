package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.courier.DeadLetter;
import dev.courier.LimitExceededException;
import dev.courier.MessageBus;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Hop;
import dev.courier.kit.KitMessages.Ping;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input, spoken on the wire the way a foreign client with a broker account would (the raw
 * amqp-client), and Courier's own publishes at AMQP's limits. Each case says what it defends: one
 * message must never take down more than itself (the confirm tracker, the consuming connection that
 * all queues share, a loop of redeliveries), and bad input ends in a dead letter with a reason.
 */
class AmqpHostileInputTest extends AmqpTestSupport {
    private static final String PINGED = "v1.kit.pinged";

    // ---- AMQP short strings (id, correlation id, type, content type, routing keys: 255 bytes) ----

    @Test
    void anIdOver255BytesFailsItsOwnPublishAndLeavesTheConfirmTrackerInStep() throws Exception {
        MessageBus pub = start(bus("pub", transport()).publishTimeout(Duration.ofSeconds(3)));
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> got.add(e.n())));
        // 200 characters but 400 bytes in UTF-8: over AMQP's 255-byte message_id (and the bus's 200 bytes)
        // the publish fails its future (it never throws), checked in bytes, not characters
        LimitExceededException e = assertInstanceOf(LimitExceededException.class, assertThrows(
                java.util.concurrent.CompletionException.class,
                () -> pub.publish(new Pinged(0, "bad"), Map.of("id", "ü".repeat(200))).join()).getCause());
        assertEquals(400, e.actualBytes());
        for (int i = 1; i <= 5; i++) {
            pub.publish(new Pinged(i, "good")).get(10, TimeUnit.SECONDS); // each confirm lands on its own publish
        }
        Await.until(Duration.ofSeconds(10), () -> got.size() == 5, () -> "the good ones arrive: " + got);
        assertFalse(got.contains(0));
    }

    @Test
    void aRefusalAmqpClientMakesAfterCountingThePublishReplacesTheChannelAndConfirmsStayInStep() throws Exception {
        AmqpTransport t = transport();
        t.start(new TransportContext("svc", "i1", Duration.ofSeconds(3)));
        // past the transport's own checks, straight to the confirm channel: amqp-client counts it, then throws
        AMQP.BasicProperties tooLong = new AMQP.BasicProperties.Builder().messageId("m".repeat(300)).build();
        CompletableFuture<Void> bad = t.publisher().publish(ns + ".courier.events", PINGED, false, tooLong, new byte[0],
                "a message amqp-client refuses", Duration.ofSeconds(3));
        ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("refused by amqp-client"), e.getCause().toString());
        for (int i = 0; i < 5; i++) {
            t.publish(Address.event(PINGED), Map.of(Headers.ID, "next-" + i, Headers.TYPE, PINGED), new byte[0])
                    .get(10, TimeUnit.SECONDS); // each confirm lands on its own publish
        }
    }

    @Test
    void headersOverTheFrameInMultiByteCharactersFailClearlyAndLaterPublishesConfirm() throws Exception {
        AmqpTransport t = transport();
        t.start(new TransportContext("svc", "i1", Duration.ofSeconds(3)));
        Map<String, String> h = new HashMap<>(Map.of(Headers.ID, "wide", Headers.TYPE, PINGED));
        h.put("wide", "ü".repeat(70_000)); // 70,000 characters, 140,000 bytes: over the 131,072-byte frame
        CompletableFuture<Void> f = t.publish(Address.event(PINGED), h, new byte[0]);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("frame_max"), e.getCause().toString());
        for (int i = 0; i < 5; i++) {
            t.publish(Address.event(PINGED), Map.of(Headers.ID, "after-" + i, Headers.TYPE, PINGED), new byte[0])
                    .get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void headersThatFitTheFrameArePublishedEvenAbove96KiB() throws Exception {
        AmqpTransport t = transport();
        t.start(new TransportContext("svc", "i1", Duration.ofSeconds(10)));
        CompletableFuture<Map<String, String>> got = new CompletableFuture<>();
        t.subscribe(Address.event(PINGED), "svc", 4, d -> {
            got.complete(d.headers());
            d.ack();
        });
        Map<String, String> h = new HashMap<>(Map.of(Headers.ID, "near", Headers.TYPE, PINGED));
        h.put("near", "x".repeat(125_000)); // what RabbitMQ's 131,072-byte frame really takes
        t.publish(Address.event(PINGED), h, new byte[0]).get(10, TimeUnit.SECONDS);
        assertEquals(125_000, got.get(10, TimeUnit.SECONDS).get("near").length());
    }

    @Test
    void aDeadLetterWhoseHeadersOverflowTheFrameFailsAtOnceSayingWhy() throws Exception {
        AmqpTransport t = transport();
        t.start(new TransportContext("svc", "i1", Duration.ofSeconds(20)));
        Map<String, String> h = new HashMap<>(Map.of(Headers.ID, "dl-big", Headers.TYPE, PINGED,
                Headers.DL_ERROR_MESSAGE, "handler failed"));
        h.put("big", "x".repeat(131_100)); // the original's headers plus diagnostics: over RabbitMQ's frame
        long t0 = System.nanoTime();
        CompletableFuture<Void> f = t.publish(Address.deadLetter("svc"), h, json("{}"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis < 5_000, "fails at once (" + millis + " ms), not after the 20 s publish timeout");
        assertTrue(e.getCause().getMessage().contains("frame_max of 131072"), e.getCause().getMessage());
        t.publish(Address.deadLetter("svc"), Map.of(Headers.ID, "dl-small", Headers.TYPE, PINGED), json("{}"))
                .get(10, TimeUnit.SECONDS); // a dead letter that fits is stored: nothing is left out of step
    }

    @Test
    void whenBothSpellingsOfAnAttributeArriveTheOneCourierWritesWins() {
        // amqp-client hands headers over in a HashMap: for 'type' and 'time' the colon spelling comes last
        Map<String, Object> h = new HashMap<>();
        for (String name : List.of("id", "type", "time", "subject")) {
            h.put("cloudEvents:" + name, "colon");
            h.put("cloudEvents_" + name, "underscore");
        }
        h.put("cloudEvents:tenant", "only-colon");
        Map<String, String> read = Wire.headers(new AMQP.BasicProperties.Builder().headers(h).build());
        for (String name : List.of("id", "type", "time", "subject")) {
            assertEquals("underscore", read.get(name), name + ": cloudEvents_ wins over cloudEvents:");
        }
        assertEquals("only-colon", read.get("tenant"), "the colon spelling alone is read");
    }

    @Test
    void aForeignMessageWithAnIdOver255BytesIsDeadLetteredNotLooped() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MessageBus sink = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> {
            runs.incrementAndGet();
            throw new IllegalStateException("handler fails: the message must be redelivered or dead-lettered");
        }));
        String longId = "i".repeat(300);
        foreignPublish(ns + ".courier.events", PINGED, props(Map.of("cloudEvents_id", longId, "cloudEvents_type", PINGED,
                "cloudEvents_specversion", "1.0", "cloudEvents_source", "foreign")), json("{\"n\":1,\"text\":\"x\"}"));
        Await.until(Duration.ofSeconds(30), () -> deadLetters(sink).size() == 1, () -> "dead-lettered: " + deadLetters(sink));
        DeadLetter dl = deadLetters(sink).get(0);
        assertEquals(LimitExceededException.class.getName(), dl.errorType(), dl.errorMessage());
        assertTrue(dl.errorMessage().contains("'id'") && dl.errorMessage().contains("maxAttributeBytes"),
                "the reason names the attribute and the limit: " + dl.errorMessage());
        assertTrue(dl.headers().get(Headers.DL_TRUNCATED).contains("id (300 bytes"), "the dead letter says what its"
                + " id was: " + dl.headers().get(Headers.DL_TRUNCATED));
        Await.stays(Duration.ofSeconds(2), () -> runs.get() == 0, () -> "dead-lettered at the edge, the handler never ran: "
                + runs);
        assertHealthyAndWorking(sink);
    }

    @Test
    void aForeignMessageWithACorrelationIdOver255BytesIsDeadLetteredNotLooped() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MessageBus sink = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> {
            runs.incrementAndGet();
            if (e.n() < 1000) {
                ctx.publish(new Pinged(e.n() + 1000, "echo")); // inherits the correlation id: a 300-byte correlation_id
            }
        }));
        foreignPublish(ns + ".courier.events", PINGED, props(Map.of("cloudEvents_id", "corr-1", "cloudEvents_type", PINGED,
                "cloudEvents_specversion", "1.0", "cloudEvents_source", "foreign", "cloudEvents_correlationid",
                "c".repeat(300))), json("{\"n\":1,\"text\":\"x\"}"));
        DeadLetter dl = awaitDeadLetter(sink, "corr-1");
        assertEquals(LimitExceededException.class.getName(), dl.errorType(), dl.errorMessage());
        assertTrue(dl.errorMessage().contains("'correlationid'") && dl.errorMessage().contains("maxAttributeBytes"),
                dl.errorMessage());
        assertEquals(0, runs.get(), "dead-lettered at the edge, the handler never ran");
        assertHealthyAndWorking(sink);
    }

    @Test
    void aForeignRequestWhoseReplyAddressCannotExistIsDeadLetteredAndTheBusKeepsConfirming() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MessageBus svc = start(bus("svc", transport()).onCommand(Ping.class, (p, ctx) -> {
            runs.incrementAndGet();
            ctx.reply(new dev.courier.kit.KitMessages.Pong(p.n()));
        }));
        // the reply would go to queue "<ns>.courier.reply.<300 characters>": over AMQP's 255-byte routing key
        foreignPublish(ns + ".courier.commands", "v1.kit.ping", props(Map.of("cloudEvents_id", "req-1",
                "cloudEvents_type", "v1.kit.ping", "cloudEvents_specversion", "1.0", "cloudEvents_source", "foreign",
                "cloudEvents_courierreplyto", "r".repeat(300))), json("{\"n\":1}"));
        DeadLetter dl = awaitDeadLetter(svc, "req-1");
        assertTrue(dl.errorMessage().contains("courierreplyto"), dl.errorMessage());
        assertEquals(0, runs.get(), "dead-lettered at the edge, the handler never ran");
        assertHealthyAndWorking(svc);
    }

    // ---- sizes and shapes that used to kill the consuming connection every queue shares ---------------

    @Test
    void aBodyOverMaxMessageSizeIsDeadLetteredWithoutTouchingTheOtherQueues() throws Exception {
        AmqpTransport t = track(AmqpTransport.of(transportBuilder().maxMessageSize(256 * 1024).build()));
        Set<Integer> hops = ConcurrentHashMap.newKeySet();
        AtomicInteger pinged = new AtomicInteger();
        MessageBus svc = start(bus("svc", t).onEvent(Pinged.class, (e, ctx) -> pinged.incrementAndGet())
                .onCommand(Hop.class, (h, ctx) -> hops.add(h.step())));
        byte[] huge = new byte[1024 * 1024]; // 1 MiB of JSON-ish bytes, four times the service's limit
        java.util.Arrays.fill(huge, (byte) ' ');
        huge[0] = '{';
        huge[huge.length - 1] = '}';
        int connectsBefore = t.session().consumerConnects();
        foreignPublish(ns + ".courier.events", PINGED, props(Map.of("cloudEvents_id", "huge-1", "cloudEvents_type", PINGED,
                "cloudEvents_specversion", "1.0", "cloudEvents_source", "foreign")), huge);
        MessageBus client = start(bus("client", transport()));
        for (int i = 0; i < 20; i++) {
            client.send(new Hop(i)).get(10, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(15), () -> hops.size() == 20, () -> "the other queue keeps flowing: " + hops.size());
        DeadLetter dl = awaitDeadLetter(svc, "huge-1");
        assertTrue(dl.errorMessage().contains("maxMessageSize"), dl.errorMessage());
        assertEquals(0, dl.body().length, "the body was never read: it is not in memory, nor in the dead letter");
        assertTrue(dl.headers().get("dltruncatedheaders").contains(huge.length + " bytes"), dl.headers().toString());
        assertEquals(0, pinged.get(), "the handler never saw it");
        assertEquals(connectsBefore, t.session().consumerConnects(), "the consuming connection was never dropped");
        assertTrue(svc.health().isHealthy(), svc.health().toString());
    }

    @Test
    void aDeeplyNestedHeaderTableDoesNotKillTheConsumingConnection() throws Exception {
        AmqpTransport t = transport();
        CompletableFuture<Map<String, String>> got = new CompletableFuture<>();
        start(bus("svc", t).onEvent(Pinged.class, (e, ctx) -> got.complete(ctx.headers())));
        Object nested = "leaf";
        for (int i = 0; i < 4_000; i++) { // ~28 KB of headers: RabbitMQ takes it, a default thread stack does not
            nested = Map.of("a", nested);
        }
        Map<String, Object> h = new HashMap<>(Map.of("cloudEvents_id", "deep-1", "cloudEvents_type", PINGED,
                "cloudEvents_specversion", "1.0", "cloudEvents_source", "foreign"));
        h.put("cloudEvents_deep", nested);
        h.put("x-nested", nested);
        int connectsBefore = t.session().consumerConnects();
        Object[] failure = new Object[1];
        Thread bigStack = new Thread(null, () -> { // amqp-client writes nested tables recursively too
            try {
                foreignPublish(ns + ".courier.events", PINGED, props(h), json("{\"n\":1,\"text\":\"deep\"}"));
            } catch (Exception e) {
                failure[0] = e;
            }
        }, "deep-publisher", 256L << 20);
        bigStack.start();
        bigStack.join();
        assertNull(failure[0]);
        Map<String, String> headers = got.get(60, TimeUnit.SECONDS);
        assertEquals(connectsBefore, t.session().consumerConnects(), "the consuming connection was never dropped");
        assertEquals("deep-1", headers.get(Headers.ID));
        assertFalse(headers.containsKey("deep"), "a nested table is not a CloudEvents attribute value: " + headers.keySet());
    }

    @Test
    void aHeaderOfAFieldTypeAmqpClientCannotReadDoesNotKillTheConsumingConnection() throws Exception {
        AmqpTransport t = transport();
        CompletableFuture<Map<String, String>> got = new CompletableFuture<>();
        start(bus("svc", t).onEvent(Pinged.class, (e, ctx) -> got.complete(ctx.headers())));
        java.io.ByteArrayOutputStream table = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(table);
        for (String[] kv : new String[][] {{"cloudEvents_id", "typed-L"}, {"cloudEvents_type", PINGED},
                {"cloudEvents_specversion", "1.0"}, {"cloudEvents_source", "foreign"}}) {
            d.writeByte(kv[0].length());
            d.writeBytes(kv[0]);
            d.writeByte('S');
            d.writeInt(kv[1].length());
            d.writeBytes(kv[1]);
        }
        d.writeByte("x-unsigned".length());
        d.writeBytes("x-unsigned");
        d.writeByte('L'); // unsigned 64-bit: RabbitMQ takes it, amqp-client 5.x fails the whole connection on it
        d.writeLong(7);
        int connectsBefore = t.session().consumerConnects();
        foreignPublish(ns + ".courier.events", PINGED, new HeaderFrameTest.RawTable(table.toByteArray()),
                json("{\"n\":1,\"text\":\"L\"}"));
        Map<String, String> headers = got.get(30, TimeUnit.SECONDS);
        assertEquals(connectsBefore, t.session().consumerConnects(), "the consuming connection was never dropped");
        assertEquals("typed-L", headers.get(Headers.ID));
    }

    // ---- header types and missing properties ------------------------------------------------------------

    @Test
    void headerValuesOfEveryAmqpTypeAreReadAsTextAndContainersAreIgnored() throws Exception {
        CompletableFuture<Map<String, String>> got = new CompletableFuture<>();
        start(bus("svc", transport()).onEvent(Pinged.class, (e, ctx) -> got.complete(ctx.headers())));
        Map<String, Object> h = new HashMap<>();
        h.put("cloudEvents_id", "typed-1".getBytes(StandardCharsets.UTF_8)); // bytes: read as UTF-8
        h.put("cloudEvents_type", PINGED);
        h.put("cloudEvents_specversion", "1.0");
        h.put("cloudEvents_source", "foreign");
        h.put("cloudEvents_time", new Date(1_700_000_000_000L)); // the binding's AMQP timestamp
        h.put("cloudEvents_count", 42);
        h.put("cloudEvents_big", 1L << 40);
        h.put("cloudEvents_ratio", new BigDecimal("1.50"));
        h.put("cloudEvents_flag", true);
        h.put("cloudEvents_table", Map.of("a", "b"));
        h.put("cloudEvents_list", List.of("a", "b"));
        h.put("cloudEvents_nothing", null);
        foreignPublish(ns + ".courier.events", PINGED, props(h), json("{\"n\":1,\"text\":\"typed\"}"));
        Map<String, String> headers = got.get(20, TimeUnit.SECONDS);
        assertEquals("typed-1", headers.get(Headers.ID));
        assertEquals("2023-11-14T22:13:20Z", headers.get(Headers.TIME), "an AMQP timestamp reads as RFC 3339");
        assertEquals("42", headers.get("count"));
        assertEquals(Long.toString(1L << 40), headers.get("big"));
        assertEquals("1.50", headers.get("ratio"));
        assertEquals("true", headers.get("flag"));
        for (String ignored : List.of("table", "list", "nothing")) {
            assertFalse(headers.containsKey(ignored), ignored + " is not a CloudEvents attribute value: " + headers);
        }
    }

    @Test
    void anIdThatIsATableIsNoIdAndTheMessageIsDeadLetteredAtOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MessageBus sink = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> runs.incrementAndGet()));
        foreignPublish(ns + ".courier.events", PINGED, new AMQP.BasicProperties.Builder().messageId("table-id-1")
                .headers(Map.of("cloudEvents_id", Map.of("not", "an id"), "cloudEvents_type", PINGED)).build(),
                json("{\"n\":1,\"text\":\"x\"}"));
        // the table is ignored; the message_id property stands in for the id
        Await.until(Duration.ofSeconds(20), () -> runs.get() == 1, () -> "handled with message_id as its id");
        foreignPublish(ns + ".courier.events", PINGED, new AMQP.BasicProperties.Builder()
                .headers(Map.of("cloudEvents_id", Map.of("not", "an id"), "cloudEvents_type", PINGED)).build(),
                json("{\"n\":2,\"text\":\"x\"}"));
        Await.until(Duration.ofSeconds(20), () -> deadLetters(sink).stream().anyMatch(d -> d.messageId() == null
                && d.errorMessage().contains("no id")), () -> "dead-lettered: no id; got " + deadLetters(sink));
        assertEquals(1, runs.get());
    }

    @Test
    void aMessageWithNoPropertiesAtAllIsDeadLetteredAtOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MessageBus sink = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> runs.incrementAndGet()));
        foreignPublish(ns + ".courier.events", PINGED, null, json("{\"n\":1,\"text\":\"bare\"}"));
        Await.until(Duration.ofSeconds(20), () -> !deadLetters(sink).isEmpty(), () -> "a bare message is dead-lettered");
        assertTrue(deadLetters(sink).get(0).errorMessage().contains("no id"), deadLetters(sink).toString());
        assertEquals(0, runs.get());
        assertHealthyAndWorking(sink);
    }

    @Test
    void garbageContentTypesTravelIntoTheDeadLetterUnchanged() throws Exception {
        MessageBus sink = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> { }));
        String garbage = "\u0000\u00ff✓ application/x-not-json; charset=" + "z".repeat(200);
        foreignPublish(ns + ".courier.events", PINGED, new AMQP.BasicProperties.Builder().contentType(garbage)
                .headers(Map.of("cloudEvents_id", "ct-1", "cloudEvents_type", PINGED)).build(), json("not json at all"));
        DeadLetter dl = awaitDeadLetter(sink, "ct-1");
        assertEquals(garbage, dl.headers().get(Headers.DATACONTENTTYPE));
    }

    // ---- the exchanges, shared queues and other people's consumers ------------------------------------

    @Test
    void publishesToCourierExchangesWithRoutingKeysNobodyUsesAreTheirPublishersProblem() throws Exception {
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        MessageBus sink = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> got.add(e.n())));
        try (Connection c = RabbitBroker.connect()) {
            Channel ch = c.createChannel();
            ch.confirmSelect();
            List<String> returned = new CopyOnWriteArrayList<>();
            ch.addReturnListener(r -> returned.add(r.getRoutingKey()));
            AMQP.BasicProperties p = props(Map.of("cloudEvents_id", "nobody", "cloudEvents_type", PINGED));
            for (String key : List.of("#", "*.*.*", "v1.kit.*", "v1.nobody.listens", "", "x".repeat(255))) {
                ch.basicPublish(ns + ".courier.events", key, true, p, json("{}"));
                ch.basicPublish(ns + ".courier.commands", key, true, p, json("{}"));
            }
            ch.waitForConfirmsOrDie(10_000);
            Await.until(Duration.ofSeconds(10), () -> returned.size() == 12, () -> "every one is returned to its publisher: "
                    + returned);
        }
        assertTrue(got.isEmpty(), "a wildcard in a publish's routing key is literal: " + got);
        assertHealthyAndWorking(sink);
    }

    @Test
    void aForeignConsumerThatNeverAcksOnASharedCommandQueueHoldsOnlyWhatItTook() throws Exception {
        Set<Integer> handled = ConcurrentHashMap.newKeySet();
        start(bus("svc", transport()).onCommand(Hop.class, (h, ctx) -> handled.add(h.step())));
        MessageBus client = start(bus("client", transport()));
        try (Connection c = RabbitBroker.connect()) {
            Channel thief = c.createChannel();
            thief.basicQos(3);
            List<Long> held = new CopyOnWriteArrayList<>();
            thief.basicConsume(ns + ".courier.command.v1.kit.hop", false, (tag, d) -> held.add(d.getEnvelope()
                    .getDeliveryTag()), tag -> { });
            for (int i = 0; i < 30; i++) {
                client.send(new Hop(i)).get(10, TimeUnit.SECONDS);
            }
            Await.until(Duration.ofSeconds(20), () -> handled.size() + held.size() == 30, () -> "Courier handles all but"
                    + " the " + held.size() + " the thief holds: " + handled.size());
            assertTrue(held.size() <= 3, "the thief holds at most its prefetch: " + held.size());
        } // the thief disconnects without acking: RabbitMQ gives its messages back to the queue
        Await.until(Duration.ofSeconds(20), () -> handled.size() == 30, () -> "the held messages come back: " + handled.size());
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private static AMQP.BasicProperties props(Map<String, Object> headers) {
        return new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2).headers(headers).build();
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Publishes as a foreign client would, with a confirm, mandatory. */
    static void foreignPublish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body)
            throws Exception {
        try (Connection c = RabbitBroker.connect()) {
            Channel ch = c.createChannel();
            ch.confirmSelect();
            List<String> returned = new ArrayList<>();
            ch.addReturnListener(r -> returned.add(r.getReplyText()));
            ch.basicPublish(exchange, routingKey, true, props, body);
            ch.waitForConfirmsOrDie(20_000);
            assertTrue(returned.isEmpty(), "the foreign message was routed: " + returned);
        }
    }

    private static List<DeadLetter> deadLetters(MessageBus bus) {
        return bus.deadLetters().list(100);
    }

    private static DeadLetter awaitDeadLetter(MessageBus bus, String id) {
        DeadLetter[] found = new DeadLetter[1];
        Await.until(Duration.ofSeconds(30), () -> {
            for (DeadLetter d : deadLetters(bus)) {
                if (id.equals(d.messageId())) {
                    found[0] = d;
                    return true;
                }
            }
            return false;
        }, () -> "no dead letter " + (id.length() > 40 ? id.substring(0, 40) + "…" : id) + "; dead letters: "
                + deadLetters(bus).stream().map(d -> d.messageId() + ": " + d.errorMessage()).toList());
        return found[0];
    }

    /** The bus is healthy and still publishes and consumes (its confirm tracker is in step). */
    private void assertHealthyAndWorking(MessageBus bus) throws Exception {
        assertTrue(bus.health().isHealthy(), bus.health().toString());
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        start(bus("probe", transport()).onEvent(Pinged.class, (e, ctx) -> got.add(e.n())));
        for (int i = 0; i < 3; i++) {
            bus.publish(new Pinged(10_000 + i, "probe")).get(10, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(10), () -> got.containsAll(Set.of(10_000, 10_001, 10_002)),
                () -> "the probe gets the bus's publishes: " + got);
    }
}
