package dev.courier.jdbc;

import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageName;

/** Message types of the sdk-jdbc tests. */
final class TestMessages {
    private TestMessages() {
    }

    @MessageName("v1.jdbctest.payment.charged")
    record Charged(int n) implements Event {
    }

    @MessageName("v1.jdbctest.order.placed")
    record OrderPlaced(String orderId, int seq) implements Event {
    }

    @MessageName("v1.jdbctest.invoice.issue")
    record IssueInvoice(String orderId, int seq) implements Command {
    }
}
