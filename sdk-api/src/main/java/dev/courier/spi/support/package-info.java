/**
 * What every broker transport builds on, written once: a {@link dev.courier.spi.support.Reconnector}
 * (start-up retries until the start timeout, reconnects with one jittered
 * {@link dev.courier.spi.Backoff}), a {@link dev.courier.spi.support.ConfirmTracker} (pending confirms,
 * one deadline sweep, resend after a reconnect, completion on a Courier thread), a
 * {@link dev.courier.spi.support.PublishGate} (the one back-pressure rule: wait up to the publish
 * timeout for room, then fail the future), a {@link dev.courier.spi.support.SettleOnceDelivery} (the
 * first settle wins; stale settles fail with {@link dev.courier.spi.StaleDeliveryException}) and
 * {@link dev.courier.spi.support.TransportUri} (one URI parser, one duration syntax, one redactor).
 *
 * <p>A transport keeps only what is truly its own: how to open a connection, send one message, map
 * headers and name things. See DEVELOPERS.md, "Adding a transport". Part of the SPI: stable within a
 * minor version, like {@code dev.courier.spi}.
 */
package dev.courier.spi.support;
