package dev.courier.bench.amqp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.bench.Options;
import dev.courier.bench.Tally;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.spi.JsonPayloadCodec;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;

import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The Spring AMQP peer column, for comparison only: RabbitTemplate with correlated publisher
 * confirms (the same in-flight window) and a SimpleMessageListenerContainer with manual acks and
 * the same prefetch, the same Jackson encoding and CloudEvents headers. Benchmarks module only.
 */
final class SpringPeer {
    private SpringPeer() {
    }

    static Runs.Result run(Options o, int messages, int window, int prefetch) throws Exception {
        String ns = AmqpBench.namespace("s");
        String exchange = ns + ".spring.events";
        String queue = ns + ".spring.sink." + AmqpBench.ROUTING_KEY;
        ObjectMapper mapper = JsonPayloadCodec.defaultMapper();
        CachingConnectionFactory cf = new CachingConnectionFactory(URI.create(AmqpBench.uri(o).replaceFirst("/$", "")));
        cf.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
        cf.setPublisherConnectionFactory(new CachingConnectionFactory(URI.create(AmqpBench.uri(o).replaceFirst("/$", ""))));
        ((CachingConnectionFactory) cf.getPublisherConnectionFactory())
                .setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
        RabbitAdmin admin = new RabbitAdmin(cf);
        TopicExchange ex = new TopicExchange(exchange, true, false);
        Queue q = new Queue(queue, true);
        admin.declareExchange(ex);
        admin.declareQueue(q);
        Binding b = BindingBuilder.bind(q).to(ex).with(AmqpBench.ROUTING_KEY);
        admin.declareBinding(b);
        Tally tally = new Tally(messages);
        SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(cf);
        container.setQueueNames(queue);
        container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
        container.setPrefetchCount(prefetch);
        container.setMessageListener((ChannelAwareMessageListener) (m, ch) -> {
            Map<String, Object> h = m.getMessageProperties().getHeaders();
            BenchPayload p = mapper.readValue(m.getBody(), BenchPayload.class);
            if (h.get("cloudEvents_id") != null) {
                tally.record(p);
            }
            ch.basicAck(m.getMessageProperties().getDeliveryTag(), false);
        });
        container.start();
        RabbitTemplate template = new RabbitTemplate(cf);
        template.setUsePublisherConnection(true);
        Semaphore inFlight = new Semaphore(window);
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                BenchPayload payload = Runs.payload(i, System.nanoTime());
                byte[] body = mapper.writeValueAsBytes(payload);
                String id = UUID.randomUUID().toString();
                MessageProperties mp = new MessageProperties();
                mp.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
                mp.setContentType("application/json");
                mp.setMessageId(id);
                mp.setCorrelationId(id);
                mp.setType(AmqpBench.ROUTING_KEY);
                mp.setHeader("cloudEvents_id", id);
                mp.setHeader("cloudEvents_source", "bench-pub");
                mp.setHeader("cloudEvents_type", AmqpBench.ROUTING_KEY);
                mp.setHeader("cloudEvents_time", Instant.now().toString());
                mp.setHeader("cloudEvents_specversion", "1.0");
                mp.setHeader("cloudEvents_correlationid", id);
                inFlight.acquire();
                CorrelationData cd = new CorrelationData(id);
                cd.getFuture().whenComplete((c, e) -> inFlight.release());
                template.send(exchange, AmqpBench.ROUTING_KEY, new Message(body, mp), cd);
            }
            inFlight.acquire(window);
            inFlight.release(window);
            try {
                tally.all().get(300, TimeUnit.SECONDS);
            } catch (Exception timeout) {
                // lost is reported
            }
            long took = System.nanoTime() - t0;
            return new Runs.Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates());
        } finally {
            container.stop();
            admin.deleteQueue(queue);
            admin.deleteExchange(exchange);
            cf.destroy();
            ((CachingConnectionFactory) cf.getPublisherConnectionFactory()).destroy();
        }
    }
}
