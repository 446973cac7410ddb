package io.nsqpush.nsq;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The features nsqd granted in its IDENTIFY answer (feature negotiation); unknown fields are ignored. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record IdentifyResponse(
        @JsonProperty("max_rdy_count") int maxRdyCount,
        @JsonProperty("version") String version,
        @JsonProperty("max_msg_timeout") long maxMsgTimeoutMs,
        @JsonProperty("msg_timeout") long msgTimeoutMs,
        @JsonProperty("tls_v1") boolean tls,
        @JsonProperty("deflate") boolean deflate,
        @JsonProperty("snappy") boolean snappy,
        @JsonProperty("auth_required") boolean authRequired) {

    /** nsqd's defaults, for a server that answers a plain {@code OK} (no feature negotiation). */
    static IdentifyResponse defaults(int requestedMsgTimeoutMs) {
        return new IdentifyResponse(2500, "unknown", 900_000, requestedMsgTimeoutMs > 0 ? requestedMsgTimeoutMs : 60_000,
                false, false, false, false);
    }
}
