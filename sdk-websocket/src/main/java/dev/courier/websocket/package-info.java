/**
 * The WebSocket hub ({@link dev.courier.websocket.WebSocketHub}) and client transport
 * ({@link dev.courier.websocket.WebSocketTransport}, URIs {@code ws://} and {@code wss://}) over
 * Java-WebSocket. Every frame is a CloudEvent (subprotocol {@code cloudevents.json}); the protocol
 * is specified in docs/websocket-protocol.md.
 */
package dev.courier.websocket;
