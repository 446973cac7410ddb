package io.nsqpush.push;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RedactionTest {

    @Test
    void everyUserInfoAndSecretParameterInATextIsMasked() {
        assertEquals("cannot reach https://xxxxxx@a/x nor http://xxxxxx@b/y?sig=xxxxxx",
                Redaction.uri("cannot reach https://tok1@a/x nor http://user:pw2@b/y?sig=abc"));
        assertEquals("nsq:t?authSecret=xxxxxx&servers=n:4150", Redaction.uri("nsq:t?authSecret=s3&servers=n:4150"));
        assertEquals("http://host/path?x=1", Redaction.uri("http://host/path?x=1"));
        assertNull(Redaction.uri(null));
    }
}
