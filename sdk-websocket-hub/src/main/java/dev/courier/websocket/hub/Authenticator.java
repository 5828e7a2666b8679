package dev.courier.websocket.hub;

import java.util.Map;

/**
 * Decides at the WebSocket handshake who a connection is. The hub finds the token in, in this
 * order: the {@code Authorization: Bearer} header, a {@code courier.token.<token>} entry of the
 * subprotocol list (browsers cannot set headers), or a one-time {@code ticket} query parameter issued
 * by the hub's {@code POST /courier/ticket}. A handshake without a token, or whose token this
 * authenticator refuses, is answered with HTTP 401 before any frame flows.
 */
@FunctionalInterface
public interface Authenticator {

    /**
     * The principal the token stands for, or null to refuse the connection. Called on a hub I/O
     * thread: it must be quick and must not block on the network. Never log the token.
     *
     * @param token the bearer token (or ticket-resolved token) the client presented
     * @return the principal, or null to refuse
     */
    WebSocketPrincipal authenticate(String token);

    /**
     * A fixed table of tokens, e.g. for tests and demos.
     *
     * @param table token to principal; copied
     * @return an authenticator that looks tokens up in the copy
     */
    static Authenticator tokens(Map<String, WebSocketPrincipal> table) {
        Map<String, WebSocketPrincipal> copy = Map.copyOf(table);
        return copy::get;
    }
}
