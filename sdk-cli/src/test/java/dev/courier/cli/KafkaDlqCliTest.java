package dev.courier.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * courier dlq against Kafka ({@code $COURIER_KAFKA_BOOTSTRAP}, default 127.0.0.1:9092; .ci/kafka.sh): the
 * dead letters live in {@code <prefix>.deadletter.billing} with their index, and a replay goes to billing's own
 * topics (the direct topic for an event), so audit never sees it again. Each test has its own prefix; its topics
 * and groups are deleted afterwards.
 */
class KafkaDlqCliTest extends DlqCliContract {

    @Override
    String uri(String ns) {
        return "kafka://" + Brokers.kafkaBootstrap() + "?prefix=" + ns + "&partitions=1";
    }

    @Override
    void requireBroker() {
        Brokers.requireKafka();
    }

    @Override
    String unreachableUri() {
        return "kafka://127.0.0.1:1";
    }

    @Override
    void assertWrongCredentials(Cli.Result r) {
        // the test broker has no SASL listener: a client that speaks SASL is not let in
        assertEquals(ExitCodes.CONNECTION, r.code(), r::toString);
    }

    /** Deletes every topic and consumer group whose name starts with {@code <ns>.}. */
    @Override
    void cleanUp(String ns, List<String> services, List<String> names) throws Exception {
        try (Admin a = Admin.create(Map.of("bootstrap.servers", Brokers.kafkaBootstrap()))) {
            List<String> topics = a.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(ns + ".")).toList();
            if (!topics.isEmpty()) {
                a.deleteTopics(topics).all().get(10, TimeUnit.SECONDS);
            }
            List<String> groups = a.listGroups().all().get(10, TimeUnit.SECONDS).stream().map(GroupListing::groupId)
                    .filter(g -> g.startsWith(ns + ".")).toList();
            if (!groups.isEmpty()) {
                try {
                    a.deleteConsumerGroups(groups).all().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // a group whose member is still leaving: its offsets expire with the broker's retention
                }
            }
        }
    }
}
