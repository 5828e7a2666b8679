package dev.courier;

import java.util.Map;

/**
 * A message that could not be handled, as kept in its service's dead-letter channel: the original
 * bytes and headers plus why it failed.
 *
 * @param messageId    the original CloudEvents id (null if the message had none)
 * @param messageType  the original type (null if it had none)
 * @param errorType    the exception class name
 * @param errorMessage the exception message
 * @param attempts     handler attempts made (0 when it could not be decoded)
 * @param address      where it came from, e.g. {@code event:v1.order.placed}
 * @param headers      every header, original and diagnostic
 * @param body         the original bytes
 */
public record DeadLetter(String messageId, String messageType, String errorType, String errorMessage, int attempts,
                         String address, Map<String, String> headers, byte[] body) {
}
