package io.nsqpush.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples one bridge process every second (a Prometheus scrape costs the bridge CPU) while it runs: peak RSS from /proc/&lt;pid&gt;/status (VmHWM is the kernel's
 * own high-water mark, so a peak between samples is not missed) and heap used from its Prometheus metrics (the sum
 * of jvm_memory_used_bytes over the heap pools; a peak between samples can be missed).
 */
final class BridgeSampler implements AutoCloseable {

    private final Process process;
    private final URI metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-sampler");
        t.setDaemon(true);
        return t;
    });
    private volatile long peakRssKb;
    private volatile long peakHeapBytes;

    BridgeSampler(Process process, int managementPort) {
        this.process = process;
        this.metrics = URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics");
        timer.scheduleWithFixedDelay(this::sample, 1000, 1000, TimeUnit.MILLISECONDS);
    }

    private void sample() {
        if (!process.isAlive()) {
            return;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmHWM:") || line.startsWith("VmRSS:")) {
                    peakRssKb = Math.max(peakRssKb, Long.parseLong(line.replaceAll("\\D", "")));
                }
            }
        } catch (Exception e) {
            // not Linux, or the process just ended: RSS stays unknown (0)
        }
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(1))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                peakHeapBytes = Math.max(peakHeapBytes, heapUsed(response.body()));
            }
        } catch (Exception e) {
            // the management server is not up yet, or is shutting down
        }
    }

    /** Sum of jvm_memory_used_bytes{area="heap",…} over the pools (eden, survivor, old gen). */
    static long heapUsed(String prometheusText) {
        double sum = 0;
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) sum;
    }

    long peakRssMiB() {
        return peakRssKb / 1024;
    }

    long peakHeapMiB() {
        return peakHeapBytes / (1024 * 1024);
    }

    @Override
    public void close() {
        sample(); // one last VmHWM while the process is still there
        timer.shutdownNow();
    }
}
