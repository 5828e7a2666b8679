package dev.courier.spi;

/**
 * An optional ability of a {@link Transport}: its dead letters can be listed, looked up by id and
 * removed (what {@link dev.courier.MessageBus#deadLetters()}, the CLI and the hub's operations page
 * use). Dead letters are always written by publishing to {@link Address#deadLetter}; this ability is
 * only about reading them back. Found through {@link Transport#ability}.
 */
public interface DeadLetterBrowsing {

    /**
     * The durable dead-letter channel of one service, for listing and removing dead letters.
     *
     * @param service the service whose dead letters these are; never null
     * @return the channel; never null
     */
    DeadLetterChannel deadLetters(String service);
}
