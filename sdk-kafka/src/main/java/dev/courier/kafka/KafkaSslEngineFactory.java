package dev.courier.kafka;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SslEngineFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.security.KeyStore;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The kafka-clients {@link SslEngineFactory} behind {@link KafkaConfig.Builder#sslContext}: it makes every
 * TLS engine from the caller's {@link SSLContext} (its trust managers — a private CA — and key managers — a
 * client certificate for mutual TLS), instead of kafka-clients' own trust and key store properties.
 *
 * <p>Courier sets it up itself: {@code ssl.engine.factory.class} names this class and the client property
 * {@value #CONTEXT_PROPERTY} carries the context object. A client engine verifies the broker's host name
 * as kafka-clients' default factory does ({@code ssl.endpoint.identification.algorithm}, {@code https} by
 * default; an empty value turns the check off). The protocols and cipher suites are the context's defaults.
 * kafka-clients makes one instance per client and calls {@link #configure} before anything else.
 */
public final class KafkaSslEngineFactory implements SslEngineFactory {

    /** The client property that carries the {@link SSLContext} object (not a string) to this factory. */
    public static final String CONTEXT_PROPERTY = "courier.ssl.context";

    private SSLContext context;
    private String clientAuth = "none";

    /** An unconfigured factory, as kafka-clients makes it (by reflection); {@link #configure} gives it the context. */
    public KafkaSslEngineFactory() {
    }

    /**
     * Takes the context from {@value #CONTEXT_PROPERTY} (and, for a broker's engines, {@code ssl.client.auth}).
     *
     * @param configs the client's configuration, as kafka-clients passes it
     * @throws ConfigException when {@value #CONTEXT_PROPERTY} holds no {@link SSLContext}
     */
    @Override
    public void configure(Map<String, ?> configs) {
        Object c = configs.get(CONTEXT_PROPERTY);
        if (!(c instanceof SSLContext ctx)) {
            throw new ConfigException(CONTEXT_PROPERTY, c == null ? null : c.getClass().getName(),
                    "KafkaSslEngineFactory needs the SSLContext object itself (KafkaConfig.Builder.sslContext sets it)");
        }
        this.context = ctx;
        Object auth = configs.get("ssl.client.auth");
        if (auth != null) {
            clientAuth = auth.toString().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A client engine from the context, checking the broker's name when {@code endpointIdentification} says so.
     *
     * @param peerHost               the broker's host, as the client reached it
     * @param peerPort               the broker's port
     * @param endpointIdentification {@code https} to check the certificate's names, null or empty for no check
     * @return a new engine in client mode
     */
    @Override
    public SSLEngine createClientSslEngine(String peerHost, int peerPort, String endpointIdentification) {
        SSLEngine engine = context().createSSLEngine(peerHost, peerPort);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        p.setEndpointIdentificationAlgorithm(endpointIdentification == null || endpointIdentification.isEmpty()
                ? null : endpointIdentification);
        engine.setSSLParameters(p);
        return engine;
    }

    /**
     * A server engine from the context (for a broker or a test server), asking for a client certificate as
     * {@code ssl.client.auth} says ({@code required}, {@code requested} or {@code none}).
     *
     * @param peerHost the client's host
     * @param peerPort the client's port
     * @return a new engine in server mode
     */
    @Override
    public SSLEngine createServerSslEngine(String peerHost, int peerPort) {
        SSLEngine engine = context().createSSLEngine(peerHost, peerPort);
        engine.setUseClientMode(false);
        if (clientAuth.equals("required")) {
            engine.setNeedClientAuth(true);
        } else if (clientAuth.equals("requested")) {
            engine.setWantClientAuth(true);
        }
        return engine;
    }

    /**
     * Whether a reconfiguration brings another context.
     *
     * @param nextConfigs the new configuration
     * @return true when {@value #CONTEXT_PROPERTY} is another object
     */
    @Override
    public boolean shouldBeRebuilt(Map<String, Object> nextConfigs) {
        return nextConfigs.get(CONTEXT_PROPERTY) != context;
    }

    /**
     * Nothing is reconfigurable by name: a new context is a new factory.
     *
     * @return an empty set
     */
    @Override
    public Set<String> reconfigurableConfigs() {
        return Set.of();
    }

    /**
     * The context's key material is not a {@link KeyStore} this factory could show.
     *
     * @return null
     */
    @Override
    public KeyStore keystore() {
        return null;
    }

    /**
     * The context's trust material is not a {@link KeyStore} this factory could show.
     *
     * @return null
     */
    @Override
    public KeyStore truststore() {
        return null;
    }

    /** Nothing to release: the context stays the caller's. */
    @Override
    public void close() {
    }

    private SSLContext context() {
        if (context == null) {
            throw new IllegalStateException("KafkaSslEngineFactory used before configure()");
        }
        return context;
    }
}
