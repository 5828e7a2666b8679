package dev.courier;

import dev.courier.internal.NamingLint;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamingLintTest {
    @Test
    void pastTenseHeuristic() {
        for (String past : new String[] {"v1.order.placed", "v1.payment.captured", "v1.order.shipped", "v1.mail.sent",
                "v1.invoice.paid", "v1.user.sign-up-completed"}) {
            assertTrue(NamingLint.readsAsPastTense(past), past);
        }
        for (String present : new String[] {"v1.order.place", "v1.payment.capture", "v1.order.ship", "v1.mail.send",
                "v1.seed.feed"}) {
            assertFalse(NamingLint.readsAsPastTense(present), present);
        }
    }
}
