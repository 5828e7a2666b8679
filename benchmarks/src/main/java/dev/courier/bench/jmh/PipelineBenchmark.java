package dev.courier.bench.jmh;

import dev.courier.bench.memory.BenchPayload;
import dev.courier.spi.JsonPayloadCodec;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.DeduplicationStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Per-message CPU cost of the pipeline without a transport: encode, decode, dedup claim and
 * complete — what Courier adds around a handler. Run: {@code java -jar courier-bench.jar jmh PipelineBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PipelineBenchmark {
    private JsonPayloadCodec codec;
    private DeduplicationStore store;
    private byte[] encoded;
    private BenchPayload payload;
    private static final Duration LEASE = Duration.ofMinutes(1);

    @Setup
    public void setUp() {
        codec = new JsonPayloadCodec(null);
        store = InMemoryDeduplicationStore.of(1_000_000, Duration.ofHours(1));
        payload = BenchPayload.of(1);
        encoded = codec.encode(payload);
    }

    @Benchmark
    public byte[] encode() {
        return codec.encode(payload);
    }

    @Benchmark
    public BenchPayload decode() {
        return codec.decode(encoded, BenchPayload.class);
    }

    @Benchmark
    public DeduplicationStore.Claim dedupClaimAndComplete() {
        String id = UUID.randomUUID().toString();
        DeduplicationStore.Claim c = store.claim("svc", id, LEASE);
        store.complete("svc", id);
        return c;
    }

    @Benchmark
    public DeduplicationStore.Claim fullStepWithoutTransport() {
        byte[] b = codec.encode(payload);
        BenchPayload p = codec.decode(b, BenchPayload.class);
        String id = UUID.randomUUID().toString();
        DeduplicationStore.Claim c = store.claim("svc", id, LEASE);
        store.complete("svc", id);
        return p.seq() >= 0 ? c : null;
    }
}
