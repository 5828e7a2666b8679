package dev.courier;

import dev.courier.spi.Headers;

import java.time.Clock;
import java.util.Map;

/**
 * Pipeline step 2, the deadline: a request carries {@link Headers#DEADLINE} (epoch millis); once it
 * passed, the caller already has its timeout, so the message is acked and its handler skipped. A
 * deadline on anything but a request is ignored (docs/guarantees.md). Checked before the claim and
 * again before every attempt after the first. Internal.
 */
final class Deadline {
    /** Thrown by an attempt when a request's caller has given up; the message is acked and skipped. */
    static final class Passed extends RuntimeException {
        Passed() {
            super("the caller's deadline has passed", null, false, false);
        }
    }

    private Deadline() {
    }

    /** True for a request whose requester has given up; false without a deadline, a reply-to or a number. */
    static boolean passed(Map<String, String> h, Clock clock) {
        String deadline = h.get(Headers.DEADLINE);
        if (deadline == null || h.get(Headers.REPLY_TO) == null) {
            return false;
        }
        try {
            return clock.millis() > Long.parseLong(deadline);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
