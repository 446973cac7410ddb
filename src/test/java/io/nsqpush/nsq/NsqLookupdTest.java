package io.nsqpush.nsq;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NsqLookupdTest {

    private static List<NsqAddress> parse(String json) {
        return NsqLookupd.producers("lookupd", json.getBytes(StandardCharsets.UTF_8)).producers();
    }

    @Test
    void readsTheCurrentAnswer() {
        assertEquals(List.of(new NsqAddress("10.0.0.1", 4150), new NsqAddress("nsqd-2", 4250)),
                parse("{\"channels\":[],\"producers\":[{\"broadcast_address\":\"10.0.0.1\",\"tcp_port\":4150},"
                        + "{\"broadcast_address\":\"nsqd-2\",\"tcp_port\":4250},"
                        + "{\"broadcast_address\":\"10.0.0.1\",\"tcp_port\":4150}]}"));
    }

    @Test
    void readsTheWrappedAnswerOfOlderServers() {
        assertEquals(List.of(new NsqAddress("10.0.0.1", 4150)), parse("{\"status_code\":200,\"status_txt\":\"OK\","
                + "\"data\":{\"producers\":[{\"broadcast_address\":\"10.0.0.1\",\"tcp_port\":4150}]}}"));
    }

    @Test
    void skipsProducersWithoutAnAddressAndRejectsWhatIsNotJson() {
        assertEquals(List.of(), parse("{\"producers\":[{\"broadcast_address\":\"\",\"tcp_port\":4150},"
                + "{\"broadcast_address\":\"x\",\"tcp_port\":0}]}"));
        assertThrows(NsqException.class, () -> parse("<html>"));
    }

    @Test
    void namesTheProducersWhoseAddressCannotBeAnNsqds() {
        NsqLookupd.Answer answer = NsqLookupd.producers("lookupd", ("{\"producers\":["
                + "{\"broadcast_address\":\"0.0.0.0\",\"tcp_port\":4150},"
                + "{\"broadcast_address\":\"10.0.0.2\",\"tcp_port\":0},"
                + "{\"broadcast_address\":\"10.0.0.3\",\"tcp_port\":70000},"
                + "{\"broadcast_address\":\"10.0.0.4\",\"tcp_port\":4150}]}").getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(new NsqAddress("10.0.0.4", 4150)), answer.producers());
        assertEquals(List.of("0.0.0.0:4150", "10.0.0.2:0", "10.0.0.3:70000"), answer.impossible());
    }

    @Test
    void twentyThousandDistinctProducersAreAllKeptOnceEach() {
        StringBuilder json = new StringBuilder("{\"producers\":[");
        for (int i = 0; i < 20_000; i++) {
            json.append(i == 0 ? "" : ",").append("{\"broadcast_address\":\"10.0.").append(i / 250).append('.')
                    .append(i % 250).append("\",\"tcp_port\":").append(4150 + i % 2).append('}');
        }
        for (int i = 0; i < 100; i++) {
            json.append(",{\"broadcast_address\":\"10.0.0.").append(i).append("\",\"tcp_port\":").append(4150 + i % 2)
                    .append('}'); // listed again
        }
        assertEquals(20_000, parse(json.append("]}").toString()).size());
    }

    @Test
    void acceptsHostPortOrAUrlAndRejectsWhatHasNoHostOrAnotherScheme() {
        assertEquals("http://10.0.0.1:4161", NsqLookupd.baseUri(" 10.0.0.1:4161 ").toString());
        assertEquals("https://lookupd.example:4161", NsqLookupd.baseUri("https://lookupd.example:4161/").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NsqLookupd.baseUri("http://"));
        // no address in the message: it may hold a credential (callers name it, masked)
        assertEquals("not an nsqlookupd HTTP address: allowed host:port or an http(s):// URL, e.g. 127.0.0.1:4161",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NsqLookupd.baseUri("ftp://ops:t0ken@lookupd:4161"));
    }
}
