package dev.recur4j;

/**
 * Text cut to a length for printing: names and messages can come from a file's header, which a hostile or broken
 * file fills with megabytes, and one line of output should stay one readable line.
 */
public final class ShortText {
    private ShortText() {
    }

    /**
     * {@code s} if it has at most {@code max} characters, else its first max (one fewer where the cut would split a
     * surrogate pair) and how many more there were.
     */
    public static String cut(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = max > 0 && Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end) + "... (" + (s.length() - end) + " more characters)";
    }
}
