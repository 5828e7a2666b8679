package dev.courier;

import java.util.Set;

/**
 * A heuristic for the naming rule "events in the past tense, commands in the present". The verb
 * (the last segment of the name, or its last dash-separated word once trailing particles such as
 * {@code -up}, {@code -on} are dropped) reads as one of:
 * <ul>
 *   <li>past: ends in -ed (but not a base form such as {@code embed}, {@code feed}, {@code proceed}),
 *       or an irregular past form that differs from the present ({@code sent}, {@code paid},
 *       {@code built}, {@code left});</li>
 *   <li>ambiguous: the same word in both tenses ({@code set}, {@code put}, {@code read},
 *       {@code reset}, {@code shut}, {@code split}, {@code run}, {@code cut}, …) — never flagged;</li>
 *   <li>present: anything else (a noun reads as present too).</li>
 * </ul>
 * An event whose verb reads present and a command whose verb reads past are flagged; everything
 * else, and every ambiguous verb, is not. Tested against 309 real names from public AsyncAPI
 * documents (test resource {@code naming/asyncapi-names.tsv}). Internal.
 */
final class NamingLint {

    /** How a verb reads. */
    public enum Tense { PAST, PRESENT, AMBIGUOUS }

    /** Irregular past forms (simple past or participle) that are not also present forms. */
    private static final Set<String> IRREGULAR_PAST = Set.of("sent", "paid", "sold", "built", "made", "done", "held",
            "kept", "lost", "met", "spent", "taken", "took", "given", "gave", "written", "wrote", "begun", "began",
            "bought", "brought", "caught", "chosen", "chose", "drawn", "drew", "found", "got", "gotten", "left",
            "shown", "seen", "saw", "told", "said", "thrown", "threw", "won", "withdrawn", "withdrew", "rebuilt",
            "resent", "upheld", "forgotten", "forgot", "frozen", "froze", "hidden", "hid", "known", "knew", "ridden",
            "rode", "risen", "rose", "shaken", "shook", "spoken", "spoke", "stolen", "stole", "struck", "sworn",
            "swore", "torn", "tore", "woken", "woke", "worn", "wore", "broken", "broke", "came", "went", "gone", "ran",
            "driven", "drove", "eaten", "ate", "fallen", "fell", "flown", "flew", "grown", "grew", "sat", "stood",
            "understood", "slept", "felt", "dealt", "meant", "sought", "taught", "thought", "fought", "led",
            "fed", "fled", "bled", "sped", "slid", "lit", "dug", "stuck", "hung", "lent", "bent", "knelt", "burnt",
            "learnt", "spelt", "spilt", "wept", "crept", "swept", "leapt", "dreamt", "shot", "sprang", "sprung", "swam",
            "swum", "sank", "sunk", "sang", "sung", "rang", "rung", "drank", "drunk", "overtaken", "undertaken",
            "mistaken", "overridden", "overrode", "forbidden", "forgiven", "arisen", "arose", "awoken", "awoke", "borne",
            "laid", "heard", "shone", "spun", "strung", "swung", "woven", "wove", "wrung", "been", "had", "did");

    /** The same word in present and past: never flagged either way. */
    private static final Set<String> AMBIGUOUS = Set.of("set", "put", "read", "shut", "split", "cut", "hit", "let",
            "quit", "run", "cast", "broadcast", "cost", "hurt", "burst", "spread", "bid", "rid", "shed", "thrust", "bet",
            "fit", "knit", "slit", "spit", "wed", "come", "become", "beat", "lay", "bust", "input", "output", "offset",
            "upset", "preset", "reset", "rerun", "forecast", "typeset", "sublet");

    /** Prefixes under which a listed word keeps its tense: {@code reset}, {@code unread}, {@code rebuilt}, {@code overcome}. */
    private static final String[] PREFIXES = {"re", "pre", "un", "over", "under", "mis", "out", "up", "down", "off",
            "in", "be", "fore", "co", "de", "dis", "with", "by", "sub", "inter"};

    /** Base forms that end in -ed. */
    private static final Set<String> PRESENT_ED = Set.of("embed", "imbed", "shred", "bed", "sled", "need", "feed",
            "seed", "speed", "breed", "bleed", "heed", "weed", "deed", "proceed", "succeed", "exceed", "precede");

    /** Words after the verb that do not carry tense: {@code signed-up}, {@code turn-on}. */
    private static final Set<String> PARTICLES = Set.of("on", "off", "up", "down", "in", "out", "over", "back",
            "away", "through", "by");

    private NamingLint() {
    }

    /** The verb: the last dot-separated segment of the name. */
    public static String verb(String messageName) {
        return messageName.substring(messageName.lastIndexOf('.') + 1);
    }

    /** How the verb of {@code messageName} reads. */
    public static Tense tense(String messageName) {
        String[] words = verb(messageName).split("-");
        int last = words.length - 1;
        while (last > 0 && PARTICLES.contains(words[last])) {
            last--;
        }
        String w = words[last];
        if (listed(w, AMBIGUOUS)) {
            return Tense.AMBIGUOUS;
        }
        if (listed(w, IRREGULAR_PAST)) {
            return Tense.PAST;
        }
        if (w.endsWith("ed") && !listed(w, PRESENT_ED) && !w.endsWith("ceed")) {
            return Tense.PAST;
        }
        return Tense.PRESENT;
    }

    private static boolean listed(String word, Set<String> list) {
        if (list.contains(word)) {
            return true;
        }
        for (String p : PREFIXES) {
            if (word.length() > p.length() + 1 && word.startsWith(p) && list.contains(word.substring(p.length()))) {
                return true;
            }
        }
        return false;
    }

    /** True when the verb reads only as past tense (ambiguous verbs do not). */
    public static boolean readsAsPastTense(String messageName) {
        return tense(messageName) == Tense.PAST;
    }

    /** A warning for a misnamed type, or null when the name reads right (or could read either way). */
    public static String check(MessageType type) {
        Tense t = tense(type.name());
        if (type.kind() == MessageType.Kind.EVENT && t == Tense.PRESENT) {
            return "event " + type.javaType().getName() + " is named '" + type.name()
                    + "', whose verb does not read as past tense: events say what happened (v1.order.placed)";
        }
        if (type.kind() == MessageType.Kind.COMMAND && t == Tense.PAST) {
            return "command " + type.javaType().getName() + " is named '" + type.name()
                    + "', whose verb reads as past tense: commands say what to do (v1.order.place)";
        }
        return null;
    }
}
