package dev.courier.jdbc;

import dev.courier.spi.DeduplicationStore;

import java.time.Duration;

/** Lets every delivery through, so a test sees (and counts) duplicates the relay produced. */
final class PassThroughStore implements DeduplicationStore {
    @Override
    public Claim claim(String service, String messageId, Duration lease) {
        return Claim.ACQUIRED;
    }

    @Override
    public void complete(String service, String messageId) {
    }

    @Override
    public void release(String service, String messageId) {
    }
}
