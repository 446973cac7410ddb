package io.nsqpush.testsupport;

import java.io.IOException;
import java.net.ServerSocket;

/** Ports for the processes and servers a test or tool starts on 127.0.0.1. */
public final class Ports {

    private Ports() {
    }

    /** @return a port the kernel found free just now (another process may still take it before it is bound) */
    public static int free() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
