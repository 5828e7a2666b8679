package dev.courier.jdbc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which ids the inbox stores as they are, and the hashed form of the others. */
class StoredIdTest {

    @Test
    void ordinaryIdsAreStoredAsTheyAre() {
        for (String id : new String[] {"7b0c9e0e-0d6e-4bd2-9d4e-1f6a3c1b2a11", "checkout-42", "x".repeat(255), "é".repeat(255),
                "\uD83D\uDE00 ok", "a b", "'; DROP TABLE t; --", "tab\t"}) {
            assertEquals(id, StoredId.of(id), id);
        }
    }

    @Test
    void idsTheColumnCannotKeepExactlyAreHashed() {
        for (String id : new String[] {"x".repeat(256), "a\u0000", "lone\uD800", "lone\uDC00x", "\uDE00\uD83D", "pad ",
                StoredId.HASHED + "abc"}) {
            assertFalse(StoredId.storableAsIs(id), StoredId.show(id));
            assertEquals(StoredIdProbe.hashedFormOf(id).length(), StoredId.of(id).length());
            assertTrue(StoredId.of(id).startsWith(StoredId.HASHED));
        }
        assertEquals(StoredIdProbe.hashedFormOf("x".repeat(300)), StoredId.of("x".repeat(300)));
        assertNotEquals(StoredId.of("lone\uD800"), StoredId.of("lone\uDC00"), "unpaired surrogates stay apart");
        assertNotEquals(StoredId.of("pad "), StoredId.of("pad  "));
    }

    @Test
    void showEscapesControlCharactersAndCutsLongIds() {
        assertEquals("'a\\u0000b\\u000a'", StoredId.show("a\u0000b\n"));
        assertEquals("'" + "x".repeat(64) + "'... (1000 characters)", StoredId.show("x".repeat(1000)));
    }
}
