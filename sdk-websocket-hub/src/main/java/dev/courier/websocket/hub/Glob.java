package dev.courier.websocket.hub;

/**
 * {@code *} matches any run of characters (dots included); everything else matches itself.
 *
 * <p>Matching never backtracks: the pattern is cut at its stars into literal segments; the first
 * must be a prefix of the name, the last a suffix, and each one between is taken at its leftmost
 * place after the previous one (leftmost is always safe with {@code *} as the only wildcard). So a
 * match costs at most one pass of {@code indexOf} per segment — bounded by pattern length × name
 * length, never exponential (issue 10.7: {@code *a*a*b} on a 4,000-character subject took 39.5 s).
 */
final class Glob {
    private Glob() {
    }

    static boolean matches(String pattern, String name) {
        int star = pattern.indexOf('*');
        if (star < 0) {
            return pattern.equals(name);
        }
        // the literal before the first star is a prefix, the one after the last star a suffix
        int lastStar = pattern.lastIndexOf('*');
        String prefix = pattern.substring(0, star);
        String suffix = pattern.substring(lastStar + 1);
        if (name.length() < prefix.length() + suffix.length() || !name.startsWith(prefix) || !name.endsWith(suffix)) {
            return false;
        }
        int from = prefix.length();
        int end = name.length() - suffix.length();
        int p = star + 1;
        while (p < lastStar) {
            int next = pattern.indexOf('*', p);
            if (next > p) {
                String segment = pattern.substring(p, next);
                int at = name.indexOf(segment, from);
                if (at < 0 || at + segment.length() > end) {
                    return false;
                }
                from = at + segment.length();
            }
            p = next + 1;
        }
        return true;
    }
}
