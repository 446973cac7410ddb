package io.nsqpush.nsq;

import io.netty.channel.nio.NioEventLoopGroup;
import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * nsqd sends IDENTIFY's answer and the first compressed OK back to back, so they often arrive in one read: the bytes
 * after the answer must go through the decompressor added after it. Repeated, so that both timings occur.
 */
class NsqHandshakeTest {

    private final NioEventLoopGroup group = new NioEventLoopGroup(1);

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private void connectRepeatedly(NsqCompression compression) throws Exception {
        try (TestNsqd nsqd = TestNsqd.start(new TestNsqd.Options().snappy(true).deflate(true))) {
            for (int i = 0; i < 15; i++) {
                NsqClientOptions options = new NsqClientOptions("c", "h", "ua", 30_000, 60_000, 2_000, 1 << 20, true,
                        null, compression, 6, null, 0);
                NsqConnection connection = new NsqConnector(group).connect(NsqAddress.parse(nsqd.address()), options,
                        new NsqConnectionListener() {
                            @Override
                            public void onMessage(NsqConnection c, NsqMessage message) {
                            }

                            @Override
                            public void onClose(NsqConnection c, Throwable cause) {
                            }
                        }).get(5, TimeUnit.SECONDS);
                connection.subscribe("t", "c").get(5, TimeUnit.SECONDS);
                connection.publish("t", new byte[] {1, 2, 3}).get(5, TimeUnit.SECONDS);
                connection.close().get(5, TimeUnit.SECONDS);
            }
            assertEquals(15, nsqd.clients().stream().map(ClientRecord::compression)
                    .filter(compression.name().toLowerCase()::equals).count());
            assertEquals(15, nsqd.published("t").size());
        }
    }

    @Test
    void snappyHandshakeSurvivesTheAnswerAndTheCompressedOkInOneRead() throws Exception {
        connectRepeatedly(NsqCompression.SNAPPY);
    }

    @Test
    void deflateHandshakeSurvivesTheAnswerAndTheCompressedOkInOneRead() throws Exception {
        connectRepeatedly(NsqCompression.DEFLATE);
    }
}
