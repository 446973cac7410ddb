package io.nsqpush.testnsqd;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * IDENTIFY as nsqd 1.3 does it (protocol_v2.go IDENTIFY, client_v2.go Identify and its setters): decode the JSON the
 * way Go's encoding/json would into identifyDataV2, validate in nsqd's order with nsqd's texts, and build the feature
 * negotiation response. TLS, snappy and deflate are granted as nsqd grants them (see {@link #features}); the upgrades
 * themselves are ClientSession's and FrameWriter's.
 */
final class IdentifyNegotiation {

    static final String VERSION = "1.3.0";
    private static final int DEFAULT_OUTPUT_BUFFER_SIZE = 16 * 1024;
    private static final int MAX_OUTPUT_BUFFER_SIZE = 64 * 1024;
    private static final long DEFAULT_OUTPUT_BUFFER_TIMEOUT_MS = 250;
    private static final long MIN_OUTPUT_BUFFER_TIMEOUT_MS = 25;
    private static final long MAX_OUTPUT_BUFFER_TIMEOUT_MS = 30_000;
    /** nsqd's deflate level when the client asks for deflate without a level (before the max-deflate-level cap). */
    private static final int DEFAULT_DEFLATE_LEVEL = 6;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The outcome of one IDENTIFY. */
    record Negotiated(Map<String, Object> data, boolean featureNegotiation, long heartbeatIntervalMs,
                      long msgTimeoutMs, int outputBufferSize, long outputBufferTimeoutMs, int sampleRate,
                      boolean tlsRequested, boolean snappyRequested, boolean deflateRequested,
                      long deflateLevelRequested) {
    }

    /** What this nsqd grants of what the client asked for (only with feature negotiation, as in nsqd). */
    record Features(boolean tls, boolean snappy, boolean deflate, int deflateLevel) {
    }

    private IdentifyNegotiation() {
    }

    /** 0 keeps the client's current value, -1 disables (heartbeats, output buffering), else nsqd's ranges. */
    static Negotiated negotiate(byte[] body, ClientRecord client, TestNsqd.Options options) throws NsqClientError {
        Map<String, Object> data = decode(body);
        boolean featureNegotiation = bool(data, "feature_negotiation");
        boolean tls = bool(data, "tls_v1");
        boolean deflate = bool(data, "deflate");
        boolean snappy = bool(data, "snappy");
        long deflateLevel = integer(data, "deflate_level");
        for (String key : new String[] {"client_id", "hostname", "user_agent", "topology_region", "topology_zone"}) {
            string(data, key);
        }

        long heartbeat = integer(data, "heartbeat_interval");
        long heartbeatIntervalMs = client.heartbeatIntervalMs();
        if (heartbeat == -1) {
            heartbeatIntervalMs = 0;
        } else if (heartbeat != 0) {
            if (heartbeat < 1000 || heartbeat > options.maxHeartbeatIntervalMs()) {
                throw invalid("heartbeat interval (" + heartbeat + ") is invalid");
            }
            heartbeatIntervalMs = heartbeat;
        }

        long bufferSize = integer(data, "output_buffer_size");
        long bufferTimeout = integer(data, "output_buffer_timeout");
        long outputBufferTimeoutMs = DEFAULT_OUTPUT_BUFFER_TIMEOUT_MS;
        if (bufferTimeout == -1) {
            outputBufferTimeoutMs = 0;
        } else if (bufferTimeout != 0) {
            if (bufferTimeout < MIN_OUTPUT_BUFFER_TIMEOUT_MS || bufferTimeout > MAX_OUTPUT_BUFFER_TIMEOUT_MS) {
                throw invalid("output buffer timeout (" + bufferTimeout + ") is invalid");
            }
            outputBufferTimeoutMs = bufferTimeout;
        }
        int outputBufferSize = DEFAULT_OUTPUT_BUFFER_SIZE;
        if (bufferSize == -1) {
            outputBufferSize = 1;
            outputBufferTimeoutMs = 0;
        } else if (bufferSize != 0) {
            if (bufferSize < 64 || bufferSize > MAX_OUTPUT_BUFFER_SIZE) {
                throw invalid("output buffer size (" + bufferSize + ") is invalid");
            }
            outputBufferSize = (int) bufferSize;
        }

        long sampleRate = integer(data, "sample_rate");
        if (sampleRate < Integer.MIN_VALUE || sampleRate > Integer.MAX_VALUE) {
            throw undecodable(); // Go decodes sample_rate into an int32
        }
        if (sampleRate < 0 || sampleRate > 99) {
            throw invalid("sample rate (" + sampleRate + ") is invalid");
        }

        long msgTimeout = integer(data, "msg_timeout");
        long msgTimeoutMs = client.msgTimeoutMs();
        if (msgTimeout != 0) {
            if (msgTimeout < 1000 || msgTimeout > options.maxMsgTimeoutMs()) {
                throw invalid("msg timeout (" + msgTimeout + ") is invalid");
            }
            msgTimeoutMs = msgTimeout;
        }

        return new Negotiated(Collections.unmodifiableMap(data), featureNegotiation, heartbeatIntervalMs, msgTimeoutMs,
                outputBufferSize, outputBufferTimeoutMs, (int) sampleRate, tls, snappy, deflate, deflateLevel);
    }

    /**
     * protocol_v2.go IDENTIFY after client.Identify: TLS if configured and asked for, snappy / deflate if enabled and
     * asked for, the deflate level capped by --max-deflate-level; both compressions at once is fatal.
     */
    static Features features(Negotiated negotiated, TestNsqd.Options options) throws NsqClientError {
        boolean tls = options.tls() != null && negotiated.tlsRequested();
        boolean deflate = options.deflate() && negotiated.deflateRequested();
        long level = DEFAULT_DEFLATE_LEVEL;
        if (deflate && negotiated.deflateLevelRequested() > 0) {
            level = negotiated.deflateLevelRequested();
        }
        level = Math.min(level, options.maxDeflateLevel());
        boolean snappy = options.snappy() && negotiated.snappyRequested();
        if (deflate && snappy) {
            throw NsqClientError.fatal("E_IDENTIFY_FAILED", "cannot enable both deflate and snappy compression");
        }
        return new Features(tls, snappy, deflate, (int) level);
    }

    /** The JSON nsqd answers when the client asked for feature negotiation. */
    static byte[] response(Negotiated negotiated, Features features, TestNsqd.Options options) {
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("max_rdy_count", options.maxRdyCount());
        response.put("version", VERSION);
        response.put("max_msg_timeout", options.maxMsgTimeoutMs());
        response.put("msg_timeout", negotiated.msgTimeoutMs());
        response.put("tls_v1", features.tls());
        response.put("deflate", features.deflate());
        response.put("deflate_level", features.deflateLevel());
        response.put("max_deflate_level", options.maxDeflateLevel());
        response.put("snappy", features.snappy());
        response.put("sample_rate", negotiated.sampleRate());
        response.put("auth_required", options.authSecret() != null);
        response.put("output_buffer_size", negotiated.outputBufferSize());
        response.put("output_buffer_timeout", negotiated.outputBufferTimeoutMs());
        response.put("topology_region", "");
        response.put("topology_zone", "");
        try {
            return JSON.writeValueAsBytes(response);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> decode(byte[] body) throws NsqClientError {
        try {
            Map<String, Object> data = JSON.readValue(body, LinkedHashMap.class);
            return data == null ? new LinkedHashMap<>() : data; // Go decodes "null" into an untouched struct
        } catch (IOException e) {
            throw undecodable();
        }
    }

    /** Go's encoding/json matches keys exactly first, then case-insensitively. */
    private static Object field(Map<String, Object> data, String key) {
        if (data.containsKey(key)) {
            return data.get(key);
        }
        return data.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(key)).map(Map.Entry::getValue)
                .findFirst().orElse(null);
    }

    private static long integer(Map<String, Object> data, String key) throws NsqClientError {
        Object value = field(data, key);
        if (value == null) {
            return 0;
        }
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big && big.bitLength() < 64) {
            return big.longValue();
        }
        throw undecodable(); // a fraction, a string, … cannot go into a Go int
    }

    private static boolean bool(Map<String, Object> data, String key) throws NsqClientError {
        Object value = field(data, key);
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean flag) {
            return flag;
        }
        throw undecodable();
    }

    private static void string(Map<String, Object> data, String key) throws NsqClientError {
        Object value = field(data, key);
        if (value != null && !(value instanceof String)) {
            throw undecodable();
        }
    }

    private static NsqClientError invalid(String reason) {
        return NsqClientError.fatal("E_BAD_BODY", "IDENTIFY " + reason);
    }

    private static NsqClientError undecodable() {
        return NsqClientError.fatal("E_BAD_BODY", "IDENTIFY failed to decode JSON body");
    }
}
