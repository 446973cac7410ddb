package io.nsqpush.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class HttpTargetTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "http://host/hooks/nsq?x=1       | host      | 80   | /hooks/nsq?x=1",
        "http://host                     | host      | 80   | /",
        "http://host?msg=%s              | host      | 80   | /?msg=%s",
        "http://host?next=/a/b           | host      | 80   | /?next=/a/b",
        "http://host#top                 | host      | 80   | /",
        "https://host:8443/p?q=1#frag    | host:8443 | 8443 | /p?q=1",
        "https://host:443/p              | host      | 443  | /p",
        "http://[::1]:9000/in            | [::1]:9000 | 9000 | /in",
        "http://u:p@host:81/in?t=%s      | host:81   | 81   | /in?t=%s",
    })
    void theRequestTargetIsThePathAndQueryAsWrittenWhateverFollowsTheHost(String url, String hostHeader, int port,
                                                                           String pathAndQuery) {
        HttpTarget target = HttpTarget.parse(url);
        assertEquals(hostHeader, target.hostHeader(), url);
        assertEquals(port, target.port(), url);
        assertEquals(pathAndQuery, target.pathAndQuery(), url);
    }

    @Test
    void userInfoBecomesBasicAuthenticationAsGoSendsItAndStaysOutOfToString() {
        HttpTarget target = HttpTarget.parse("https://hook%40corp:s3cr%3At@host/in");
        assertEquals("Basic " + base64("hook@corp:s3cr:t"), target.authorization());
        assertEquals("Basic " + base64("token:"), HttpTarget.parse("http://token@host/").authorization());
        assertNull(HttpTarget.parse("http://host/").authorization());
        assertFalse(target.toString().contains("s3cr") || target.toString().contains(base64("hook@corp:s3cr:t")),
                target.toString());
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
