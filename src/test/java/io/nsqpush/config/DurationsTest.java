package io.nsqpush.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "1500, 1500",
        "250ms, 250",
        "15s, 15000",
        "10m, 600000",
        "1h, 3600000",
        "2d, 172800000",
        "1m30s, 90000",
        "1h30m, 5400000",
        "2h45m30s500ms, 9930500",
        "1.5s, 1500",
        "1.5h, 5400000",
        ".5s, 500",
        "1.s, 1000",
        "500us, 1",
        "1500µs, 2",
        "1ns, 1",
        "PT15S, 15000",
        "' 2s ', 2000",
    })
    void readsGoCamelAndIsoDurations(String text, long millis) {
        assertEquals(millis, Durations.parseMillis(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10x", "5sec", "s", "1m 30s", "-1s", "-5", "ms", "1h-", "PT-5S",
                            "99999999999999999999", "9999999999999h"})
    void refusesWhatIsNotADuration(String text) {
        assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis(text));
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "1, 1ms", "250, 250ms", "15000, 15s", "90000, 1m30s", "3600000, 1h", "86400000, 1d",
                "3723004, 1h2m3s4ms"})
    void formatsAsUsersWriteThem(long millis, String text) {
        assertEquals(text, Durations.format(millis));
        assertEquals(millis, Durations.parseMillis(text));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10x  | push.timeout '10x' is not a duration: allowed 1ms..15m, a duration such as 250ms",
        "20m  | push.timeout '20m' is out of range: allowed 1ms..15m",
        "0    | push.timeout '0' is out of range: allowed 1ms..15m",
    })
    void aRangeNamesTheKeyTheValueAndWhatIsAllowed(String text, String message) {
        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> Range.duration("1ms", "15m").parse("push.timeout", text));
        assertEquals(true, e.getMessage().startsWith(message), e.getMessage());
        assertEquals("push.timeout", e.key());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "lots | maxInFlight 'lots' is not a whole number: allowed 1..65535",
        "0    | maxInFlight '0' is out of range: allowed 1..65535",
    })
    void aWholeNumberRangeToo(String text, String message) {
        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> Range.whole(1, 65535).parse("maxInFlight", text));
        assertEquals(message, e.getMessage());
    }
}
