package dev.courier.cli;

/**
 * What {@code courier} exits with, for scripts. The same list is in every command's {@code --help}
 * and in docs/operations.md.
 */
final class ExitCodes {
    private ExitCodes() {
    }

    /** Everything selected was done (or there was nothing to do). */
    static final int OK = 0;
    /** Some or all of the selected dead letters could not be replayed or discarded (the output says which), or an unexpected error. */
    static final int FAILED = 1;
    /** Bad arguments: an unknown option, a bad URI or service name, memory:, or a bulk action without --yes and without a terminal to ask. */
    static final int USAGE = 2;
    /** Could not connect or log in to the broker: nothing was done. */
    static final int CONNECTION = 3;
    /** Nothing failed, but an id given matched no dead letter (already replayed or discarded, or a typo). */
    static final int NOT_FOUND = 4;
    /** The confirmation was declined: nothing was done. */
    static final int DECLINED = 5;

    // The lines of the EXIT CODES section of every command's help (picocli: "key:description").
    static final String H_OK = "0:everything selected was done, or there was nothing to do";
    static final String H_FAILED = "1:some or all selected dead letters failed (each is named), or an unexpected error";
    static final String H_USAGE = "2:usage: bad option, URI or service; memory:; a bulk action without --yes and no terminal";
    static final String H_CONNECTION = "3:could not connect or log in to the broker; nothing was done";
    static final String H_NOT_FOUND = "4:an id given is not a dead letter of the service (already replayed or discarded?)";
    static final String H_DECLINED = "5:the confirmation was declined; nothing was done";
}
