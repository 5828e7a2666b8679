package dev.courier.spi;

import java.util.Set;

/**
 * Header names on the wire: CloudEvents 1.0 attributes, Courier's extensions and the diagnostic
 * headers of a dead letter. Every name is a valid CloudEvents attribute name (a-z, 0-9, at most 20
 * characters), so each transport's CloudEvents binding can carry it as is.
 */
public final class Headers {
    private Headers() {
    }

    /** CloudEvents {@code id}: the message id. */
    public static final String ID = "id";
    /** CloudEvents {@code source}: the sending service. */
    public static final String SOURCE = "source";
    /** CloudEvents {@code type}: the message name. */
    public static final String TYPE = "type";
    /** CloudEvents {@code time}: when the message was made (RFC 3339). */
    public static final String TIME = "time";
    /** CloudEvents {@code specversion}, always {@value #SPEC_VERSION_1_0}. */
    public static final String SPECVERSION = "specversion";
    /** CloudEvents {@code datacontenttype}: {@code application/json}. */
    public static final String DATACONTENTTYPE = "datacontenttype";
    /** CloudEvents {@code subject}: optional, e.g. the principal an event concerns. */
    public static final String SUBJECT = "subject";

    /**
     * CloudEvents partitioning extension {@code partitionkey}: a publish option (pass it in the headers of
     * {@code publish}/{@code send}) that every transport carries as a header. Messages with the same key
     * keep their order where the transport can keep it (docs/guarantees.md): on Kafka it is the record
     * key, so they share a partition.
     */
    public static final String PARTITION_KEY = "partitionkey";

    /** The id of the whole conversation: a root message's own id. */
    public static final String CORRELATION_ID = "correlationid";
    /** The id of the message whose handler sent this one. */
    public static final String CAUSATION_ID = "causationid";
    /** W3C trace context, carried like correlation. */
    public static final String TRACEPARENT = "traceparent";
    /** W3C trace context, vendor part, carried with {@link #TRACEPARENT}. */
    public static final String TRACESTATE = "tracestate";

    /** Handler attempts made so far (1 on the first delivery's first attempt). */
    public static final String ATTEMPT = "courierattempt";
    /** Delayed redeliveries made so far. */
    public static final String REDELIVERY = "courierredelivery";
    /** The reply address of the requester (request/reply). */
    public static final String REPLY_TO = "courierreplyto";
    /** Epoch millis after which the requester no longer waits; the handler is skipped then. */
    public static final String DEADLINE = "courierdeadline";
    /** On a reply: "ok", or "error" when the request was dead-lettered. */
    public static final String REPLY_STATUS = "courierreplystatus";

    /** On a dead letter: the class name of the last error. */
    public static final String DL_ERROR_TYPE = "dlerrortype";
    /** On a dead letter: the last error's message. */
    public static final String DL_ERROR_MESSAGE = "dlerrormessage";
    /** On a dead letter: the last error's stack trace, cut to the policy's size. */
    public static final String DL_STACK_TRACE = "dlstacktrace";
    /** On a dead letter: attempts made in all. */
    public static final String DL_ATTEMPTS = "dlattempts";
    /** The address the message came from, e.g. {@code event:v1.order.placed}. */
    public static final String DL_ADDRESS = "dladdress";
    /** On a dead letter: the service whose handler failed. */
    public static final String DL_SERVICE = "dlservice";
    /** On a dead letter: when the first attempt failed (ISO-8601). */
    public static final String DL_FIRST_FAILURE = "dlfirstfailure";
    /** On a dead letter: when the last attempt failed (ISO-8601). */
    public static final String DL_LAST_FAILURE = "dllastfailure";
    /** First failure time carried across delayed redeliveries (ISO-8601). */
    public static final String FIRST_FAILURE = "courierfirstfailure";
    /** On a dead letter: original headers (and the body) changed to make it storable, with their sizes. */
    public static final String DL_TRUNCATED = "dltruncatedheaders";
    /** Times the dead letter of this message could not be stored; the message came back for another try. */
    public static final String DL_FAILURES = "courierdlfailures";
    /** Times the deduplication store failed to claim this message's id; it came back for another try. */
    public static final String CLAIM_FAILURES = "courierclaimfailures";

    /** The CloudEvents version Courier speaks. */
    public static final String SPEC_VERSION_1_0 = "1.0";

    /** Names users may not set as their own headers. */
    public static final Set<String> RESERVED = Set.of(ID, SOURCE, TYPE, TIME, SPECVERSION, DATACONTENTTYPE,
            CORRELATION_ID, CAUSATION_ID, ATTEMPT, REDELIVERY, REPLY_TO, DEADLINE, REPLY_STATUS,
            DL_ERROR_TYPE, DL_ERROR_MESSAGE, DL_STACK_TRACE, DL_ATTEMPTS, DL_ADDRESS, DL_SERVICE,
            DL_FIRST_FAILURE, DL_LAST_FAILURE, FIRST_FAILURE, DL_TRUNCATED, DL_FAILURES, CLAIM_FAILURES, "data",
            "data_base64", "dataschema");

    /**
     * True for a valid CloudEvents attribute name: lower-case a-z and 0-9, 1 to 20 characters.
     *
     * @param name the name to check; may be null (then false)
     * @return whether {@code name} is a valid attribute name
     */
    public static boolean isValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > 20) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }
}
