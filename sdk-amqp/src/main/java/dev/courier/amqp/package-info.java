/**
 * The AMQP 0-9-1 transport over RabbitMQ: {@link dev.courier.amqp.AmqpTransport} and its builder.
 * Everything else in this package is internal. See docs/transport-amqp.md for the topology and the
 * wire contract.
 */
package dev.courier.amqp;
