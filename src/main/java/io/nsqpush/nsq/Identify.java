package io.nsqpush.nsq;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The IDENTIFY exchange: our JSON request and the parsing of nsqd's answer. */
final class Identify {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Identify() {
    }

    static byte[] request(NsqClientOptions options) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("client_id", options.clientId());
        body.put("hostname", options.hostname());
        body.put("user_agent", options.userAgent());
        body.put("feature_negotiation", true);
        body.put("heartbeat_interval", options.heartbeatIntervalMs());
        if (options.msgTimeoutMs() > 0) {
            body.put("msg_timeout", options.msgTimeoutMs());
        }
        if (options.outputBufferTimeoutMs() != 0) {
            body.put("output_buffer_timeout", options.outputBufferTimeoutMs());
        }
        body.put("tls_v1", options.tls() != null);
        body.put("snappy", options.compression() == NsqCompression.SNAPPY);
        body.put("deflate", options.compression() == NsqCompression.DEFLATE);
        if (options.compression() == NsqCompression.DEFLATE) {
            body.put("deflate_level", options.deflateLevel());
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write IDENTIFY", e);
        }
    }

    static IdentifyResponse parse(byte[] answer, NsqClientOptions options) {
        String text = new String(answer, StandardCharsets.UTF_8);
        if ("OK".equals(text)) {
            return IdentifyResponse.defaults(options.msgTimeoutMs());
        }
        try {
            IdentifyResponse response = JSON.readValue(answer, IdentifyResponse.class);
            if (response.maxRdyCount() <= 0 || response.msgTimeoutMs() <= 0) {
                throw new NsqException("nsqd's IDENTIFY answer lacks max_rdy_count or msg_timeout: " + text);
            }
            return response;
        } catch (java.io.IOException e) {
            throw new NsqException("nsqd's IDENTIFY answer is not JSON: " + text, e);
        }
    }
}
