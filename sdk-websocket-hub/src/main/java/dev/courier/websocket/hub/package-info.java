/**
 * The Courier WebSocket hub ({@link dev.courier.websocket.hub.WebSocketHub}): a server that browsers
 * (through the JavaScript client it serves at {@code /courier.js}) and Courier services (through
 * {@code courier-websocket}'s {@code WebSocketTransport}) connect to, routing through a private
 * in-memory broker or a backbone transport. Authentication ({@link dev.courier.websocket.hub.Authenticator}),
 * authorization ({@link dev.courier.websocket.hub.Authorizer}), tickets, rate limits, the operations
 * page ({@link dev.courier.websocket.hub.Operations}). The protocol is specified in
 * docs/websocket-protocol.md.
 */
package dev.courier.websocket.hub;
