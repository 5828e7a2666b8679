package dev.courier.kit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A conformance-kit case: a JUnit test that runs concurrently with the other cases of the same
 * transport's kit (each case has its own namespace), the way Watermill's {@code TestPubSub} runs
 * its scenarios in parallel against one broker. Only the cases run in parallel: the kit class as a
 * whole runs alone, so a module's other test classes (fault tests that stop the broker) never
 * overlap it. Parallel execution is switched on for every module in the parent pom (surefire
 * {@code configurationParameters}); a plain {@code @Test} in a case interface also works, it just
 * runs on the kit class's own thread.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@Execution(ExecutionMode.CONCURRENT)
public @interface KitCase {

    /**
     * Whether {@link TransportConformanceKit}'s stress case runs this case again, concurrently with
     * all the others. False for a case that is no broker scenario (it starts a JVM, or is the stress
     * case itself).
     *
     * @return true (the default) to include this case in the stress run
     */
    boolean stress() default true;
}
