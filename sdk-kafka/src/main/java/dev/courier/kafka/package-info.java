/**
 * Courier's Apache Kafka transport over the official kafka-clients. Users touch
 * {@link dev.courier.kafka.KafkaConfig} and {@link dev.courier.kafka.KafkaTransport} at most;
 * {@code kafka://} URIs work through {@link dev.courier.kafka.KafkaTransportProvider}. The wire contract
 * (topics, headers, keys, groups, retry and dead-letter topics) is in docs/transport-kafka.md. Nothing of
 * kafka-clients appears in a public signature except the raw client properties a user may pass through.
 */
package dev.courier.kafka;
