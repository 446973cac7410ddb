package io.nsqpush.bench;

import io.nsqpush.testnsqd.TestNsqd;

/**
 * The test nsqd in a JVM of its own, so that its CPU and memory are not counted against the bridge or the driver.
 * Usage: {@code BenchNsqd [port]} (0 or none: any free port). Prints {@code ready 127.0.0.1:<port>} once it listens
 * and runs until killed.
 */
public final class BenchNsqd {

    private BenchNsqd() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        TestNsqd nsqd = TestNsqd.start(new TestNsqd.Options().port(port));
        Runtime.getRuntime().addShutdownHook(new Thread(nsqd::close));
        System.out.println("ready " + nsqd.address());
        System.out.flush();
        // the test nsqd runs on daemon threads: keep the JVM alive until the driver destroys it
        Thread.sleep(Long.MAX_VALUE);
    }
}
