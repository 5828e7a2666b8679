package dev.courier.samples.ordering;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The demo's verdict counts a step only under the conversation's own correlation id. */
class StoryTest {
    private static List<Trace.Step> story(String alice, String bob) {
        List<Trace.Step> s = new ArrayList<>();
        s.add(step("ordering", "handled", "v1.order.place", alice));
        s.add(step("payment", "retry", "v1.order.placed", alice));
        s.add(step("payment", "retry", "v1.order.placed", alice));
        s.add(step("payment", "handled", "v1.order.placed", alice));
        s.add(step("shipping", "handled", "v1.payment.captured", alice));
        s.add(step("notification", "handled", "v1.order.shipped", alice));
        s.add(step("ordering", "duplicate skipped", "v1.order.place", bob));
        s.add(step("shipping", "DEAD-LETTERED", "v1.payment.captured", bob));
        return s;
    }

    private static Trace.Step step(String service, String what, String type, String corr) {
        return new Trace.Step(service, what, type, "m", corr, "");
    }

    @Test
    void theWholeStoryUnderEachConversationsIdMissesNothing() {
        assertEquals(List.of(), Story.missing(story("a", "b"), "a", "b"));
    }

    @Test
    void aStepUnderAnotherCorrelationIdDoesNotCountForAlice() {
        List<Trace.Step> steps = story("a", "b");
        steps.set(4, step("shipping", "handled", "v1.payment.captured", "someone-else"));
        assertEquals(List.of("shipping shipped alice's order"), Story.missing(steps, "a", "b"));
    }

    @Test
    void withoutAlicesConversationEveryStepOfHersIsMissing() {
        assertEquals(5, Story.missing(story("a", "b"), null, "b").size());
    }
}
