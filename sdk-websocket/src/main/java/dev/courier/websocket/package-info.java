/**
 * The WebSocket client transport ({@link dev.courier.websocket.WebSocketTransport}, URIs {@code ws://}
 * and {@code wss://}) over Java-WebSocket: a Courier service or tool connected to a Courier WebSocket
 * hub. The hub itself is the separate module {@code courier-websocket-hub}
 * ({@code dev.courier.websocket.hub}). Every frame is a CloudEvent (subprotocol
 * {@code cloudevents.json}); the protocol is specified in docs/websocket-protocol.md.
 */
package dev.courier.websocket;
