package dev.courier.mqtt;

import dev.courier.CourierException;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.Headers;
import dev.courier.spi.RawMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A service's dead letters, kept by the broker in a persistent session that never expires (client id
 * {@code <prefix>:<service>:deadletters}, subscribed to {@code <prefix>/_courier/dl/<service>}).
 * Browsing connects as that session and reads without acknowledging; removing acknowledges the target
 * and moves the others read with it to the back of the topic, in order (PUBACKs go out in arrival order,
 * so a message cannot be acknowledged past an earlier one). One reader at a time per transport. Internal.
 */
final class DeadLetterStore implements DeadLetterChannel {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    /** After this long without a new message the session's queue is taken as read. */
    private static final long QUIET_MS = 300;
    private static final long MAX_READ_MS = 10_000;

    private final MqttTransport transport;
    private final MqttConfig cfg;
    private final Topics topics;
    private final String service;
    private final String clientId;

    DeadLetterStore(MqttTransport transport, MqttConfig cfg, Topics topics, String service) {
        this.transport = transport;
        this.cfg = cfg;
        this.topics = topics;
        this.service = Topics.level("service", service);
        this.clientId = clientId(cfg, service);
    }

    static String clientId(MqttConfig cfg, String service) {
        return cfg.clientIdPrefix() + ":" + service + ":deadletters";
    }

    String service() {
        return service;
    }

    /** Creates (or confirms) the dead-letter session and its subscription, so dead letters are kept. */
    void ensureSession() {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                withSession(64, 0, (w, got) -> null);
                return;
            } catch (RuntimeException e) {
                last = e; // another instance may hold the session right now
            }
        }
        throw new CourierException("could not create the dead-letter session '" + clientId + "': " + last, last);
    }

    @Override
    public synchronized List<RawMessage> browse(int max) {
        return withSession(max, QUIET_MS, (w, got) -> {
            List<RawMessage> out = new ArrayList<>();
            for (Wire.Incoming m : got) {
                if (out.size() >= max) {
                    break;
                }
                out.add(new RawMessage(m.headers(), m.body()));
            }
            return out;
        });
    }

    @Override
    public synchronized boolean remove(String messageId) {
        return withSession(Integer.MAX_VALUE, QUIET_MS, (w, got) -> {
            Wire.Incoming target = null;
            for (Wire.Incoming m : got) {
                if (messageId.equals(m.headers().get(Headers.ID))) {
                    target = m;
                    break;
                }
            }
            if (target == null) {
                return false;
            }
            String topic = topics.deadLetter(service);
            for (Wire.Incoming m : got) {
                if (m != target) {
                    transport.publisher().again(topic, m.headers(), m.body())
                            .get(transport.publishTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
                }
            }
            for (Wire.Incoming m : got) {
                m.ack().run();
            }
            return true;
        });
    }

    private interface Reader<T> {
        T read(Wire w, List<Wire.Incoming> got) throws Exception;
    }

    /** Connects as the dead-letter session, collects what it holds (until max or quiet), runs the reader. */
    private <T> T withSession(int max, long quietMs, Reader<T> reader) {
        List<Wire.Incoming> got = new ArrayList<>();
        long[] last = {System.currentTimeMillis()};
        ExecutorService exec = transport.pools().aux;
        String dlTopic = topics.deadLetter(service);
        Wire w = null;
        try {
            Wire.Dialed d = Wire.dial(cfg, clientId, m -> {
                synchronized (got) {
                    if (m.topic().equals(dlTopic)) {
                        got.add(m);
                    } else {
                        m.ack().run();
                    }
                    last[0] = System.currentTimeMillis();
                    got.notifyAll();
                }
            }, Threads.orInline(exec), x -> { }, false, null, Connection.RECEIVE_MAXIMUM);
            w = d.wire();
            Wire.Session s = d.session();
            if (!s.present() || quietMs == 0) {
                w.subscribe(dlTopic, cfg.qos()).get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
            synchronized (got) {
                last[0] = System.currentTimeMillis();
                long start = last[0];
                while (got.size() < max) {
                    long now = System.currentTimeMillis();
                    long quietLeft = last[0] + quietMs - now;
                    if (quietLeft <= 0 || now - start > MAX_READ_MS) {
                        break;
                    }
                    got.wait(quietLeft);
                }
            }
            List<Wire.Incoming> snapshot;
            synchronized (got) {
                snapshot = new ArrayList<>(got);
            }
            return reader.read(w, snapshot);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while reading dead letters of " + service, e);
        } catch (CourierException e) {
            throw e;
        } catch (Exception e) {
            throw new CourierException("could not read the dead letters of service '" + service + "' (session '"
                    + clientId + "'): " + e, e);
        } finally {
            try {
                if (w != null) {
                    w.disconnect(false).get(5, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                log.debug("dead-letter session '{}' did not disconnect cleanly: {}", clientId, e.toString());
            }
        }
    }

    /** Ends the dead-letter session (tests and tools only: the dead letters are gone after this). */
    static CompletableFuture<Void> endSession(MqttConfig cfg, String clientId) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Wire.dial(cfg, clientId, m -> { }, Runnable::run, x -> { }, true, java.time.Duration.ofSeconds(1), 16)
                        .wire();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }).thenCompose(w -> w.disconnect(true));
    }
}
