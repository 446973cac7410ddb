package io.nsqpush.testnsqd;

import org.xerial.snappy.SnappyFramedInputStream;
import org.xerial.snappy.SnappyFramedOutputStream;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The streams of nsqd's client_v2.go UpgradeTLS / UpgradeSnappy / UpgradeDeflate, built from JDK TLS, snappy-java's
 * framing format (Go's snappystream) and raw DEFLATE (Go's compress/flate): deliberately not Netty's codecs, which the
 * client under test uses.
 */
final class StreamUpgrades {

    /** nsqd gives the TLS handshake a 5 s deadline. */
    static final int HANDSHAKE_TIMEOUT_MS = 5_000;

    private StreamUpgrades() {
    }

    /**
     * tls.Server(conn).Handshake(): the socket becomes the server side of a TLS connection. The raw socket keeps its
     * role for timeouts and closing (the TLS socket reads and writes through it).
     */
    static SSLSocket handshake(Socket socket, SSLContext context, boolean needClientAuth) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory()
                .createSocket(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        tls.setUseClientMode(false);
        if (needClientAuth) {
            tls.setNeedClientAuth(true); // require-verify
        } else {
            tls.setWantClientAuth(true); // nsqd's default VerifyClientCertIfGiven
        }
        socket.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
        tls.startHandshake();
        return tls;
    }

    /** snappy-java reads the stream identifier in its constructor: deferred to the first read, so IDENTIFY answers. */
    static InputStream snappyIn(InputStream transport) {
        return new InputStream() {
            private InputStream snappy;

            private InputStream snappy() throws IOException {
                if (snappy == null) {
                    snappy = new SnappyFramedInputStream(transport);
                }
                return snappy;
            }

            @Override
            public int read() throws IOException {
                return snappy().read();
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                return snappy().read(buffer, offset, length);
            }
        };
    }

    /** SnappyFramedOutputStream.flush() emits the chunk but does not flush what is below it: this one does. */
    static OutputStream snappyOut(OutputStream wire) throws IOException {
        SnappyFramedOutputStream snappy = new SnappyFramedOutputStream(wire); // writes the stream identifier
        return new FilterOutputStream(snappy) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                snappy.write(bytes, offset, length);
            }

            @Override
            public void flush() throws IOException {
                snappy.flush();
                wire.flush();
            }
        };
    }

    static InputStream deflateIn(InputStream transport) {
        return new InflaterInputStream(transport, new Inflater(true));
    }

    /** Raw DEFLATE; flush() is a sync flush (an empty stored block), like Go's flate.Writer.Flush in nsqd's Flush. */
    static OutputStream deflateOut(OutputStream wire, int level) {
        return new DeflaterOutputStream(wire, new Deflater(level, true), 16 * 1024, true);
    }
}
