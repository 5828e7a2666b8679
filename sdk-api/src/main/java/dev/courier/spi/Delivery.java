package dev.courier.spi;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One message handed to a subscriber.
 *
 * <p><b>Settle once.</b> Exactly one of {@link #ack}, {@link #reject} or {@link DelayedRedelivery#redeliverLater}
 * settles a delivery: the first call claims it atomically, from whatever thread; every later call,
 * on any thread, does nothing (nothing reaches the broker, no prefetch slot is freed twice) and
 * returns a future already completed normally. While a {@code redeliverLater} is in progress, other
 * calls do nothing either; only a failed {@code redeliverLater} gives its claim back.
 *
 * <p><b>What a completed settle future means.</b> The acknowledgement (or rejection) was handed to
 * the live connection the delivery came on: written, or queued ahead of anything written later, so
 * a graceful {@link Transport#close()} afterwards never undoes it. It does not mean the broker has
 * processed it: no protocol confirms an acknowledgement (AMQP's {@code basic.ack} and MQTT's PUBACK
 * have no reply), so an ack can still be lost when the connection drops before the broker reads it.
 * The broker then delivers the message again, flagged {@link #redelivered()}, and the bus's
 * deduplication (per service and message id, marked done before the ack) makes that delivery a
 * no-op. That is the guarantee the bus relies on — never that an ack arrived.
 *
 * <p><b>Stale deliveries.</b> Once the transport has closed, or the connection the delivery came on
 * was lost (and replaced by a reconnect), the broker has taken the message back and delivers it
 * again. Settling such a delivery sends nothing and fails its future with a
 * {@link dev.courier.CourierException} saying the delivery is stale. Closing only the
 * {@link TransportSubscription} does not make its deliveries stale: they can still be settled.
 *
 * <p>Settling never throws: every outcome is in the future. The conformance kit checks these rules
 * ({@code SettleCases}, {@code RedeliveryCases}).
 */
public interface Delivery {

    /**
     * Where the message was delivered from (the subscription's address, without group).
     *
     * @return the address; never null
     */
    Address address();

    /**
     * The group (service) this delivery belongs to.
     *
     * @return the group; never null
     */
    String group();

    /**
     * The message's headers as they came from the wire: CloudEvents attribute names, string values.
     *
     * @return the headers; never null, not to be modified
     */
    Map<String, String> headers();

    /**
     * The encoded payload as it came from the wire.
     *
     * @return the body; never null (may be empty), not to be modified
     */
    byte[] body();

    /**
     * True when the broker may have delivered this message before: it was given back with
     * {@code reject(true)}, left unsettled by a consumer that went away (transport closed, connection
     * lost), or delivered again after a broker restart. A first delivery is never flagged. (A copy
     * brought back by {@link DelayedRedelivery#redeliverLater} carries its count in {@code courierredelivery}.)
     *
     * @return whether the broker flagged this delivery as a possible repeat
     */
    boolean redelivered();

    /**
     * Removes the message for good. See the class comment for what the completed future means.
     *
     * <p>Thread: may be called from any thread; the future completes on the calling
     * thread or a thread of the transport (the one that hands the settlement to the connection), or
     * is already complete when returned (a repeated settle, a stale delivery, in memory).
     *
     * @return a future that completes normally (with null) once the ack was handed to the live
     *         connection (or at once when the delivery was already settled), or exceptionally with a
     *         {@link dev.courier.CourierException} when the delivery is stale
     */
    CompletableFuture<Void> ack();

    /**
     * Gives the message back: with {@code requeue} it is delivered again to this group (flagged
     * {@link #redelivered()}), without it it is dropped.
     *
     * <p>Thread: may be called from any thread; the future completes on the calling
     * thread or a thread of the transport (the one that hands the settlement to the connection), or
     * is already complete when returned (a repeated settle, a stale delivery, in memory).
     *
     * @param requeue true to deliver the message again to this group, false to drop it
     * @return a future that completes normally (with null) once the rejection was handed to the live
     *         connection (or at once when the delivery was already settled), or exceptionally with a
     *         {@link dev.courier.CourierException} when the delivery is stale
     */
    CompletableFuture<Void> reject(boolean requeue);
}
