package dev.courier.internal;

import java.util.Set;

/**
 * A simple heuristic for the naming rule "events in the past tense, commands in the present":
 * a verb reads as past tense when it ends in -ed or is a known irregular past form. Internal.
 */
public final class NamingLint {
    private static final Set<String> IRREGULAR_PAST = Set.of("sent", "paid", "sold", "built", "made", "done", "held",
            "kept", "lost", "met", "read", "run", "set", "shut", "split", "spent", "taken", "given", "written",
            "begun", "bought", "brought", "caught", "chosen", "drawn", "found", "got", "gotten", "left", "put",
            "shown", "seen", "told", "thrown", "won", "withdrawn", "undone", "rebuilt", "resent", "reset",
            "upheld", "overpaid", "underpaid", "forgotten", "frozen", "hidden", "known", "ridden", "risen",
            "shaken", "spoken", "stolen", "struck", "sworn", "torn", "woken", "worn", "broken", "came", "went");

    private NamingLint() {
    }

    /** The verb: the last dot-separated segment of the name. */
    public static String verb(String messageName) {
        return messageName.substring(messageName.lastIndexOf('.') + 1);
    }

    public static boolean readsAsPastTense(String messageName) {
        String verb = verb(messageName);
        int dash = verb.lastIndexOf('-');
        String last = dash >= 0 ? verb.substring(dash + 1) : verb;
        return last.endsWith("ed") && !last.endsWith("eed") || IRREGULAR_PAST.contains(last);
    }

    /** A warning for a misnamed type, or null when the name reads right. */
    public static String check(MessageType type) {
        boolean past = readsAsPastTense(type.name());
        if (type.kind() == MessageType.Kind.EVENT && !past) {
            return "event " + type.javaType().getName() + " is named '" + type.name()
                    + "', whose verb does not read as past tense: events say what happened (v1.order.placed)";
        }
        if (type.kind() == MessageType.Kind.COMMAND && past) {
            return "command " + type.javaType().getName() + " is named '" + type.name()
                    + "', whose verb reads as past tense: commands say what to do (v1.order.place)";
        }
        return null;
    }
}
