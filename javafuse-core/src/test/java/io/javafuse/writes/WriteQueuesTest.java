package io.javafuse.writes;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.api.WritePriority;
import io.javafuse.api.WriteQueueConfig;
import io.javafuse.api.WriteQueueStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Write queues without a kernel: requests are plain objects, the backend records what it is asked. */
@Timeout(60)
class WriteQueuesTest {
    record Call(long unique, Operation operation) implements Request {
        @Override
        public int uid() {
            return 0;
        }

        @Override
        public int gid() {
            return 0;
        }

        @Override
        public int pid() {
            return 0;
        }

        @Override
        public boolean isInterrupted() {
            return false;
        }

        @Override
        public <T> T later(java.util.concurrent.CompletionStage<? extends T> stage) {
            throw new UnsupportedOperationException();
        }
    }

    /** Records the order of everything applied, and the answers. */
    static final class Recorder implements WriteQueues.Backend<Call> {
        final List<String> applied = new CopyOnWriteArrayList<>();
        final Map<Long, String> answers = new ConcurrentHashMap<>();
        final Map<Long, Integer> released = new ConcurrentHashMap<>();
        volatile long failUnique = -1;
        volatile CountDownLatch gate;
        /** A permit for every write the backend is asked for, as it starts. */
        final Semaphore writing = new Semaphore(0);

        @Override
        public long write(Call first, long offset, List<MemorySegment> pieces) throws Exception {
            writing.release();
            CountDownLatch g = gate;
            if (g != null) {
                g.await(10, TimeUnit.SECONDS);
            }
            if (first.unique() == failUnique) {
                throw new FuseException(Errno.ENOSPC);
            }
            long total = pieces.stream().mapToLong(MemorySegment::byteSize).sum();
            applied.add("write " + first.unique() + " @" + offset + " x" + pieces.size() + " " + total);
            return total;
        }

        @Override
        public void barrier(Call request) {
            applied.add(request.operation() + " " + request.unique());
        }

        @Override
        public void answer(Call request, long bytes, Throwable failure) {
            answers.put(request.unique(), failure == null ? "ok " + bytes : "error " + Errno.of(failure));
        }

        @Override
        public void acknowledge(Call request, long bytes) {
            answers.put(request.unique(), "acknowledged " + bytes);
        }

        @Override
        public void release(Call request, int errno) {
            released.put(request.unique(), errno);
        }
    }

    static final WriteQueues.Key FILE = new WriteQueues.Key(7, 1);
    final Arena arena = Arena.ofAuto();
    final Recorder recorder = new Recorder();
    final UniqueSequencer sequencer = new UniqueSequencer(0);

    WriteQueues<Call> queues(WriteQueueConfig config) {
        return new WriteQueues<>(config, sequencer, recorder);
    }

    MemorySegment data(int size) {
        return arena.allocate(size);
    }

    /** What a reader does with a write it read: expects it on its handle, then tells the sequencer. */
    void read(WriteQueues<Call> queues, long unique) {
        queues.expect(FILE, unique);
        sequencer.admitted(unique);
    }

    /** Reserves a place, as the reader does before dispatching, then a worker delivers the write. */
    void write(WriteQueues<Call> queues, long unique, long offset, int size) throws InterruptedException {
        queues.reserve(FILE, unique);
        deliver(queues, unique, offset, size);
    }

    void deliver(WriteQueues<Call> queues, long unique, long offset, int size) {
        queues.write(new Call(unique, Operation.WRITE), FILE, offset, data(size));
    }

    @Test
    void writesDeliveredOutOfOrderAreAppliedInUniqueOrder() throws Exception {
        // A late reader is staged with pauses: the wait for a missing number must outlast them under load.
        WriteQueues<Call> queues = new WriteQueues<>(WriteQueueConfig.defaults(), sequencer, recorder, 10_000);
        read(queues, 2);
        write(queues, 2, 0, 10);
        // Reader B returns with 6 before reader A, which took 4, has admitted it.
        read(queues, 6);
        Thread late = Thread.ofVirtual().start(() -> {
            try {
                write(queues, 6, 20, 10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Thread.sleep(10);
        assertThat(recorder.applied).containsExactly("write 2 @0 x1 10");
        read(queues, 4);
        write(queues, 4, 10, 10);
        late.join();
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.applied).containsExactly("write 2 @0 x1 10", "write 4 @10 x1 10", "write 6 @20 x1 10");
        assertThat(recorder.answers).containsEntry(6L, "ok 10");
    }

    @Test
    void aWriteStillOnItsWayToTheQueueHoldsBackLaterOnes() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults());
        read(queues, 2);
        read(queues, 4);
        queues.reserve(FILE, 2);
        queues.reserve(FILE, 4);
        // 2 waits in the dispatcher (or its worker was descheduled) while 4's worker delivers it.
        deliver(queues, 4, 10, 10);
        assertThat(recorder.applied).as("4 is settled, but 2 is known to be coming").isEmpty();
        deliver(queues, 2, 0, 10);
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.applied).containsExactly("write 2 @0 x1 10", "write 4 @10 x1 10");
    }

    @Test
    void theEarliestWaitingWriteGetsAFreedPlace() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults().withDefaultMaxQueueSize(1));
        read(queues, 2);
        recorder.gate = new CountDownLatch(1);
        queues.reserve(FILE, 2);
        Thread first = Thread.ofVirtual().start(() -> deliver(queues, 2, 0, 10));
        // Two readers wait for the only place: the one with 6 started waiting first.
        read(queues, 4);
        read(queues, 6);
        AtomicBoolean sixIn = new AtomicBoolean();
        Thread six = Thread.ofVirtual().start(() -> {
            try {
                queues.reserve(FILE, 6);
                sixIn.set(true);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Thread.sleep(20);
        AtomicBoolean fourIn = new AtomicBoolean();
        Thread four = Thread.ofVirtual().start(() -> {
            try {
                queues.reserve(FILE, 4);
                fourIn.set(true);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Thread.sleep(20);
        recorder.gate.countDown();
        first.join();
        four.join(5000);
        assertThat(fourIn).isTrue();
        Thread.sleep(20);
        assertThat(sixIn).as("6 waits until 4 has left the queue").isFalse();
        deliver(queues, 4, 10, 10);
        six.join(5000);
        assertThat(sixIn).isTrue();
        deliver(queues, 6, 20, 10);
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.applied).containsExactly("write 2 @0 x1 10", "write 4 @10 x1 10", "write 6 @20 x1 10");
        assertThat(queues.stats().aggregate().maxQueueSize()).isEqualTo(1);
    }

    @Test
    void aNumberThatNeverComesIsPassedOverAfterAShortWait() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults());
        sequencer.admitted(4);           // 2 was dropped by the kernel and will never be read
        long start = System.nanoTime();
        write(queues, 4, 0, 10);
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.applied).containsExactly("write 4 @0 x1 10");
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void anFsyncWaitsForEarlierWritesAndGoesBeforeLaterOnes() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults());
        for (long u : new long[] {2, 4, 6, 10}) {
            read(queues, u);
        }
        sequencer.admitted(8);
        recorder.gate = new CountDownLatch(1);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                write(queues, 2, 0, 10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        recorder.writing.acquire();   // 2 is being applied, held at the gate: later deliveries only queue
        write(queues, 4, 10, 10);
        queues.reserve(FILE, 6);
        queues.reserve(FILE, 10);
        queues.barrier(new Call(8, Operation.FSYNC), FILE, WriteQueues.Barrier.FSYNC);
        deliver(queues, 10, 30, 10);
        deliver(queues, 6, 20, 10);   // delivered late, but numbered before the fsync
        assertThat(recorder.answers).doesNotContainKey(8L);
        recorder.gate.countDown();
        writer.join();
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.applied).containsExactly("write 2 @0 x1 10", "write 4 @10 x1 10", "write 6 @20 x1 10",
                "FSYNC 8", "write 10 @30 x1 10");
    }

    @Test
    void aFullQueueBlocksAdmissionInsteadOfDropping() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults().withHandleMaxQueueSize(FILE.fh(), 2));
        recorder.gate = new CountDownLatch(1);
        for (long u = 2; u <= 6; u += 2) {
            read(queues, u);
        }
        queues.reserve(FILE, 2);   // the first write's place
        queues.reserve(FILE, 4);   // the second
        Thread.ofVirtual().start(() -> queues.write(new Call(2, Operation.WRITE), FILE, 0, data(1)));
        AtomicBoolean third = new AtomicBoolean();
        Thread blocked = Thread.ofVirtual().start(() -> {
            try {
                queues.reserve(FILE, 6);
                third.set(true);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Thread.sleep(50);
        assertThat(third).as("the reader waits").isFalse();
        assertThat(queues.stats().aggregate().queueSize()).isEqualTo(2);
        recorder.gate.countDown();
        queues.write(new Call(4, Operation.WRITE), FILE, 1, data(1));
        blocked.join(5000);
        assertThat(third).isTrue();
        queues.write(new Call(6, Operation.WRITE), FILE, 2, data(1));
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.applied).hasSize(3);
        assertThat(queues.stats().aggregate().maxQueueSize()).isLessThanOrEqualTo(2);
    }

    @Test
    void writeBehindAcknowledgesAtOnceAndReportsAFailureOnTheNextFsync() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults().withWriteBehind(true));
        for (long u = 2; u <= 10; u += 2) {
            sequencer.admitted(u);
        }
        recorder.failUnique = 4;
        write(queues, 2, 0, 10);
        write(queues, 4, 10, 10);
        write(queues, 6, 20, 10);
        assertThat(recorder.answers).containsEntry(2L, "acknowledged 10").containsEntry(4L, "acknowledged 10");
        queues.barrier(new Call(8, Operation.FSYNC), FILE, WriteQueues.Barrier.FSYNC);
        queues.barrier(new Call(10, Operation.FLUSH), FILE, WriteQueues.Barrier.FLUSH);
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.answers).containsEntry(8L, "error " + Errno.ENOSPC)
                .as("reported once, as the page cache does").containsEntry(10L, "ok 0");
        assertThat(recorder.released).containsEntry(2L, 0).containsEntry(4L, Errno.ENOSPC).containsEntry(6L, 0);
        assertThat(queues.stats().lostWrites()).isEqualTo(1);
    }

    @Test
    void batchingHandsContiguousQueuedWritesOverTogether() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults().withBatching(true));
        for (long u = 2; u <= 10; u += 2) {
            read(queues, u);
        }
        recorder.gate = new CountDownLatch(1);
        Thread first = Thread.ofVirtual().start(() -> {
            try {
                write(queues, 2, 0, 100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        recorder.writing.acquire();   // 2 is being applied, held at the gate: later deliveries only queue
        write(queues, 4, 100, 100);
        write(queues, 6, 200, 100);
        write(queues, 8, 300, 100);
        write(queues, 10, 999, 1);   // not contiguous
        recorder.gate.countDown();
        first.join();
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        assertThat(recorder.applied).containsExactly("write 2 @0 x1 100", "write 4 @100 x3 300", "write 10 @999 x1 1");
        assertThat(recorder.answers).containsEntry(4L, "ok 100").containsEntry(8L, "ok 100");
        assertThat(queues.stats().batchedWrites()).isEqualTo(3);
    }

    @Test
    void flushingWithATimeoutNamesWhatIsLeft() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults());
        read(queues, 2);
        recorder.gate = new CountDownLatch(1);
        queues.reserve(FILE, 2);
        Thread.ofVirtual().start(() -> queues.write(new Call(2, Operation.WRITE), FILE, 0, data(1)));
        assertThatThrownBy(() -> queues.flushWriteQueue(FILE.fh(), 50, TimeUnit.MILLISECONDS))
                .isInstanceOf(TimeoutException.class).hasMessageContaining("handle 1").hasMessageContaining("1 writes");
        recorder.gate.countDown();
        queues.flushWriteQueue(FILE.fh(), 5, TimeUnit.SECONDS);
    }

    @Test
    void handlesOpenedForSyncWritesArePrioritised() {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults());
        queues.opened(FILE, WritePriority.HIGH, false);
        assertThat(queues.priorityOf(FILE, false)).isEqualTo(WritePriority.HIGH);
        assertThat(queues.priorityOf(FILE, true)).as("writeback page writes").isEqualTo(WritePriority.LOW);
        assertThat(queues.priorityOf(new WriteQueues.Key(8, 2), false)).isEqualTo(WritePriority.NORMAL);
    }

    @Test
    void statisticsPerHandleAndInAggregate() throws Exception {
        WriteQueues<Call> queues = queues(WriteQueueConfig.defaults());
        for (long u = 2; u <= 8; u += 2) {
            sequencer.admitted(u);
        }
        recorder.failUnique = 6;
        write(queues, 2, 0, 100);
        write(queues, 4, 100, 50);
        write(queues, 6, 150, 10);
        queues.flushAllWriteQueues(5, TimeUnit.SECONDS);
        WriteQueueStats stats = queues.stats();
        WriteQueueStats.Counts file = stats.handles().get(FILE.fh());
        assertThat(file.totalOperations()).isEqualTo(3);
        assertThat(file.completedOperations()).isEqualTo(2);
        assertThat(file.failedOperations()).isEqualTo(1);
        assertThat(file.bytesWritten()).isEqualTo(150);
        assertThat(stats.aggregate().bytesWritten()).isEqualTo(150);
        assertThat(stats.activeHandles()).isEqualTo(1);
        queues.barrier(new Call(8, Operation.RELEASE), FILE, WriteQueues.Barrier.RELEASE);
        assertThat(queues.stats().activeHandles()).isZero();
    }
}
