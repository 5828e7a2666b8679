package dev.courier;

import dev.courier.testing.PublicTypes;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Courier's engine is not API: it lives package-private beside {@link MessageBus}, and nothing public
 * may appear in an {@code internal} package (docs/stability.md). These tests read the compiled classes
 * of courier-api, so a class made public by mistake fails the build.
 */
class SealedInternalsTest {

    /** The public API of the root package, as docs/stability.md lists it. Adding a type is a decision: add it here. */
    private static final Set<String> ROOT_API = Set.of("AttemptOutcome", "BusDescription", "BusListener",
            "CodecException", "Command", "ConfigurationException", "CourierException", "DeadLetter", "DeadLetterPolicy",
            "DeadLetters", "Envelope", "Event", "Handler", "Health", "InboundChain", "Interceptor",
            "LimitExceededException", "MessageBus", "MessageContext", "MessageKind", "MessageName",
            "NonRetryableException", "OutboundChain", "PreparedMessage", "PublishException", "PublishTimeoutException",
            "RemoteHandlerException", "ReplyLostException", "RequestException", "RequestTimeoutException", "RetryPolicy",
            "TransportConnectException", "UnroutableException");

    private final List<String> classes = PublicTypes.classNames(PublicTypes.codeSource(MessageBus.class));

    @Test
    void noPublicTypeInAnInternalPackage() {
        assertFalse(classes.isEmpty(), "found no compiled classes of courier-api");
        assertEquals(Set.of(), PublicTypes.publicInInternalPackages(classes, getClass().getClassLoader()),
                "public types in an internal package: make them package-private, or give callers a documented public seam");
    }

    @Test
    void theRootPackageExposesExactlyItsDocumentedApi() throws Exception {
        Set<String> pub = new TreeSet<>();
        for (String n : classes) {
            if (n.startsWith("dev.courier.") && n.lastIndexOf('.') == "dev.courier".length() && !n.contains("$")
                    && PublicTypes.usableOutsideItsPackage(Class.forName(n, false, getClass().getClassLoader()))) {
                pub.add(n.substring("dev.courier.".length()));
            }
        }
        assertEquals(new TreeSet<>(ROOT_API), pub, "the engine beside MessageBus (BusCore, Inbound, ...) stays"
                + " package-private; a new public type in dev.courier is API: list it here and in docs/stability.md");
    }
}
