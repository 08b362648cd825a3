package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ShortTextTest {

    @Test
    void shortTextIsKeptAndLongTextCut() {
        String s = "abcdef";
        assertSame(s, ShortText.cut(s, 6));
        assertEquals("abcd... (2 more characters)", ShortText.cut(s, 4));
    }

    /** A cut between the two halves of a surrogate pair would print half a character (a '?' or worse). */
    @Test
    void aSurrogatePairIsNotSplit() {
        String s = "ab\uD83D\uDE00cd"; // ab😀cd
        assertEquals("ab... (4 more characters)", ShortText.cut(s, 3));
        assertEquals("ab\uD83D\uDE00... (2 more characters)", ShortText.cut(s, 4));
    }
}
