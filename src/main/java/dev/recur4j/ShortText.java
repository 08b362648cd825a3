package dev.recur4j;

/**
 * Text cut to a length for printing: names and messages can come from a file's header, which a hostile or broken
 * file fills with megabytes, and one line of output should stay one readable line.
 */
public final class ShortText {
    private ShortText() {
    }

    /** {@code s} if it has at most {@code max} characters, else its first max and how many more there were. */
    public static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "... (" + (s.length() - max) + " more characters)";
    }
}
