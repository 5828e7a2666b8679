package dev.courier.spi;

/** A live subscription; closing it stops new deliveries (outstanding ones can still be settled). */
public interface TransportSubscription extends AutoCloseable {

    /** True while deliveries can arrive (false after close or while the broker is unreachable). */
    boolean isActive();

    @Override
    void close();
}
