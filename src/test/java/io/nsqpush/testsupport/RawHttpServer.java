package io.nsqpush.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 server on a plain socket, for what the JDK's HttpServer cannot do: count the connections open at once,
 * drop a request on a kept-alive connection without answering, answer with bytes that are not HTTP or with huge
 * headers. Each connection has a thread; requests are parsed (Content-Length bodies) and answered by the behaviour.
 */
public final class RawHttpServer implements AutoCloseable {

    /** A request as received. */
    public record Request(int connection, int indexOnConnection, String method, String path,
                          Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** What to do with a request: answer these bytes (after a delay), or close the connection without a word. */
    public record Answer(byte[] bytes, long delayMillis, boolean drop) {
        public static Answer status(int status) {
            return headers(status, "");
        }

        /** @param extraHeaders raw header lines, each ending in CRLF */
        public static Answer headers(int status, String extraHeaders) {
            return new Answer(("HTTP/1.1 " + status + " X\r\n" + extraHeaders + "Content-Length: 2\r\n\r\nok")
                    .getBytes(StandardCharsets.US_ASCII), 0, false);
        }

        public static Answer raw(byte[] bytes) {
            return new Answer(bytes, 0, false);
        }

        public static Answer dropped() {
            return new Answer(null, 0, true);
        }

        public Answer after(long millis) {
            return new Answer(bytes, millis, drop);
        }
    }

    @FunctionalInterface
    public interface Behaviour {
        Answer answer(Request request);
    }

    private final ServerSocket server;
    private final Behaviour behaviour;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile boolean closed;

    private RawHttpServer(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        this.server = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "raw-http-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public static RawHttpServer start(Behaviour behaviour) throws IOException {
        return new RawHttpServer(behaviour);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** @return the most connections that were open at the same time */
    public int maxOpenConnections() {
        return maxOpen.get();
    }

    /** @return connections accepted so far */
    public int connections() {
        return connections.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                int number = connections.incrementAndGet();
                maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                Thread serve = new Thread(() -> serve(socket, number), "raw-http-" + number);
                serve.setDaemon(true);
                serve.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket, int number) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            for (int index = 0; ; index++) {
                Request request = read(in, number, index);
                if (request == null) {
                    return;
                }
                requests.add(request);
                Answer answer = behaviour.answer(request);
                if (answer.delayMillis() > 0) {
                    Thread.sleep(answer.delayMillis()); // the endpoint is slow: that is what is being tested
                }
                if (answer.drop()) {
                    return;
                }
                out.write(answer.bytes());
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the client went away
        } finally {
            open.decrementAndGet();
        }
    }

    private static Request read(InputStream in, int connection, int index) throws IOException {
        String line = line(in);
        if (line == null || line.isEmpty()) {
            return null;
        }
        String[] parts = line.split(" ");
        Map<String, String> headers = new TreeMap<>();
        String header;
        while ((header = line(in)) != null && !header.isEmpty()) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        return new Request(connection, index, parts[0], parts[1], headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
