package dev.courier.kit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A kit case that stops or restarts the broker through {@link KitHarness#brokerControl()}. It runs
 * alone: the kit waits until the cases in progress have finished and starts no other case until it
 * is done. It is skipped, with the reason, when the transport's kit offers no {@link BrokerControl},
 * and the stress case never repeats it.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@Execution(ExecutionMode.CONCURRENT)
public @interface RestartsBroker {
}
