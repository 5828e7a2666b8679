package dev.courier;

import org.slf4j.MDC;

/**
 * The built-in outermost inbound link: {@code correlationId}, {@code messageId}, {@code messageType}
 * and {@code service} in the slf4j MDC while the attempt runs (and the interceptors inside it).
 * Internal.
 */
final class MdcLink implements Interceptor.Inbound {
    static final MdcLink INSTANCE = new MdcLink();

    @Override
    public void intercept(InboundChain chain) throws Exception {
        Envelope env = chain.envelope();
        MDC.put("correlationId", env.correlationId());
        MDC.put("messageId", env.id());
        MDC.put("messageType", env.type());
        MDC.put("service", chain.service());
        try {
            chain.proceed();
        } finally {
            MDC.remove("correlationId");
            MDC.remove("messageId");
            MDC.remove("messageType");
            MDC.remove("service");
        }
    }
}
