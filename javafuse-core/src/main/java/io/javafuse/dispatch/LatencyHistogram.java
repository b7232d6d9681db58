package io.javafuse.dispatch;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free log-linear histogram of nanosecond latencies: each power of two is split into 16
 * buckets, so a percentile is reported within 1/16 of its true value. Recording is one atomic
 * increment; reading scans 1024 counters.
 */
final class LatencyHistogram {
    private static final int SUB_BUCKET_BITS = 4;
    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
    private static final int BUCKETS = 64 * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final LongAdder total = new LongAdder();
    private final LongAdder sum = new LongAdder();

    void record(long nanos) {
        long value = Math.max(0, nanos);
        counts.incrementAndGet(index(value));
        total.increment();
        sum.add(value);
    }

    static int index(long value) {
        if (value < SUB_BUCKETS) {
            return (int) value;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(value);
        int mantissa = (int) (value >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
        return (exponent - SUB_BUCKET_BITS + 1) * SUB_BUCKETS + mantissa;
    }

    /** The highest value that falls into a bucket: percentiles err on the slow side. */
    static long upperBound(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int exponent = index / SUB_BUCKETS + SUB_BUCKET_BITS - 1;
        long mantissa = index % SUB_BUCKETS;
        long base = (1L << exponent) | (mantissa << (exponent - SUB_BUCKET_BITS));
        return base + (1L << (exponent - SUB_BUCKET_BITS)) - 1;
    }

    long count() {
        return total.sum();
    }

    double averageNanos() {
        long n = total.sum();
        return n == 0 ? 0 : (double) sum.sum() / n;
    }

    /** The value below which {@code fraction} of the recorded values fall. */
    long percentile(double fraction) {
        long n = 0;
        long[] snapshot = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            snapshot[i] = counts.get(i);
            n += snapshot[i];
        }
        if (n == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(fraction * n);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += snapshot[i];
            if (seen >= rank) {
                return upperBound(i);
            }
        }
        return upperBound(BUCKETS - 1);
    }
}
