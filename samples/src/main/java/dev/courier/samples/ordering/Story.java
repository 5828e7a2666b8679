package dev.courier.samples.ordering;

import java.util.ArrayList;
import java.util.List;

/**
 * What the demo must show, checked against the steps of its own run only: alice's order goes
 * through (each step under her request's correlation id), bob's double submit is suppressed and his
 * undeliverable order ends in shipping's dead letter.
 */
final class Story {
    private Story() {
    }

    /** What has not happened (yet); {@code alice} and {@code bob} are the correlation ids of their conversations. */
    static List<String> missing(List<Trace.Step> steps, String alice, String bob) {
        List<String> missing = new ArrayList<>();
        check(missing, has(steps, "ordering", "handled", "v1.order.place", alice, 1), "ordering handled alice's order");
        check(missing, has(steps, "payment", "retry", "v1.order.placed", alice, 2), "payment retried twice");
        check(missing, has(steps, "payment", "handled", "v1.order.placed", alice, 1), "payment captured after retries");
        check(missing, has(steps, "shipping", "handled", "v1.payment.captured", alice, 1), "shipping shipped alice's order");
        check(missing, has(steps, "notification", "handled", "v1.order.shipped", alice, 1), "notification told alice");
        check(missing, has(steps, "ordering", "duplicate skipped", "v1.order.place", bob, 1), "bob's duplicate skipped");
        check(missing, has(steps, "shipping", "DEAD-LETTERED", "v1.payment.captured", bob, 1), "bob's order dead-lettered");
        return missing;
    }

    private static boolean has(List<Trace.Step> steps, String service, String what, String type, String corr, int atLeast) {
        return corr != null && steps.stream().filter(s -> s.service().equals(service) && s.what().equals(what)
                && s.type().equals(type) && corr.equals(s.correlationId())).count() >= atLeast;
    }

    private static void check(List<String> missing, boolean ok, String what) {
        if (!ok) {
            missing.add(what);
        }
    }
}
