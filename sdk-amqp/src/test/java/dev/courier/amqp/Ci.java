package dev.courier.amqp;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Under {@code CI=true} a test whose broker or tool is missing fails; elsewhere it is skipped, saying why. */
final class Ci {
    private Ci() {
    }

    static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Nothing when {@code ok}; otherwise skips the test with {@code why}, or fails it under CI=true. */
    static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if (isCi()) {
            fail(why + " (CI=true: a missing broker or tool is a failure, never a skip)");
        }
        assumeTrue(false, why);
    }
}
