package io.javafuse.session;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class BufferPoolTest {
    @Test
    void growingLetsAWaitingAcquireGoOn() throws Exception {
        try (BufferPool pool = new BufferPool(4096, 1)) {
            FuseRequest first = pool.acquire();
            CompletableFuture<FuseRequest> second = CompletableFuture.supplyAsync(() -> acquire(pool));
            assertThatThrownBy(() -> second.get(100, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            pool.resize(2);
            assertThat(second.get(5, TimeUnit.SECONDS).buffer().byteSize()).isEqualTo(4096);
            assertThat(pool.inUse()).isEqualTo(2);
            pool.release(first);
            pool.release(second.get());
            assertThat(pool.inUse()).isZero();
        }
    }

    @Test
    void shrinkingMakesAcquireWaitUntilEnoughCameBack() throws Exception {
        try (BufferPool pool = new BufferPool(4096, 3)) {
            List<FuseRequest> out = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                out.add(pool.acquire());
            }
            pool.resize(1);
            assertThat(pool.capacity()).isEqualTo(1);
            assertThat(pool.inUse()).isEqualTo(3);
            CompletableFuture<FuseRequest> next = CompletableFuture.supplyAsync(() -> acquire(pool));
            pool.release(out.removeLast());
            pool.release(out.removeLast());
            assertThatThrownBy(() -> next.get(100, TimeUnit.MILLISECONDS))
                    .as("one buffer is still out and the capacity is one").isInstanceOf(TimeoutException.class);
            pool.release(out.removeLast());
            assertThat(next.get(5, TimeUnit.SECONDS)).isNotNull();
            pool.release(next.get());
            assertThat(pool.inUse()).isZero();
        }
    }

    @Test
    void aReleasedRequestIsHandedOutAgainWithItsBuffer() throws Exception {
        try (BufferPool pool = new BufferPool(4096, 2)) {
            FuseRequest first = pool.acquire();
            pool.release(first);
            FuseRequest again = pool.acquire();
            assertThat(again).isSameAs(first);
            assertThat(again.buffer()).isSameAs(first.buffer());
            FuseRequest second = pool.acquire();
            assertThat(second).isNotSameAs(first);
            pool.release(again);
            pool.release(second);
            assertThat(pool.inUse()).isZero();
        }
    }

    private static FuseRequest acquire(BufferPool pool) {
        try {
            return pool.acquire();
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
    }
}
