package io.nsqpush.component;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class UriMaskingTest {

    @Test
    void eachAddressOfAListIsMaskedOnItsOwn() {
        // Camel's sanitizer alone reads the list as one URI: its mask of the password would run up to the last @
        assertEquals("http://xxxxxx@a:4161,https://xxxxxx@b:4161/?token=xxxxxx,c:4161",
                UriMasking.list("http://user:pw@a:4161,https://t0k@b:4161/?token=abc,c:4161"));
        assertEquals("127.0.0.1:4150", UriMasking.list("127.0.0.1:4150"));
        assertNull(UriMasking.list(null));
    }
}
