/**
 * The frame protocol the WebSocket client transport and the hub share (docs/websocket-protocol.md):
 * frame types, frame attributes and the CloudEvents structured-mode codec. Public only for the hub
 * module ({@code courier-websocket-hub}); not an API for applications.
 */
package dev.courier.websocket.protocol;
