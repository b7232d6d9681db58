package io.javafuse.writes;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** The array-backed order against plain collections, in the patterns a handle queue sees and worse. */
class UniqueOrderTest {
    @Test
    void keepsOrderWhileTheLiveRangeWalksThroughTheArrayAndGrows() {
        UniqueOrder<String> order = new UniqueOrder<>(true);
        // Add two, take one: the live range drifts to the end, is moved back, then outgrows the array.
        long next = 2;
        long expectedFirst = 2;
        for (int round = 0; round < 100; round++) {
            order.add(next, "w" + next);
            next += 2;
            order.add(next, "w" + next);
            next += 2;
            assertThat(order.pollFirst()).isEqualTo("w" + expectedFirst);
            expectedFirst += 2;
        }
        assertThat(order.size()).isEqualTo(100);
        assertThat(order.first()).isEqualTo(expectedFirst);
        assertThat(order.last()).isEqualTo(next - 2);
        while (!order.isEmpty()) {
            assertThat(order.pollFirst()).isEqualTo("w" + expectedFirst);
            expectedFirst += 2;
        }
        assertThat(order.firstValue()).isNull();
    }

    @Test
    void entriesWithTheSameUniqueLeaveInTheOrderTheyCame() {
        UniqueOrder<String> order = new UniqueOrder<>(true);
        order.add(10, "a");
        order.add(4, "b");
        order.add(10, "c");
        order.add(4, "d");
        List<String> polled = new ArrayList<>();
        while (!order.isEmpty()) {
            polled.add(order.pollFirst());
        }
        assertThat(polled).containsExactly("b", "d", "a", "c");
    }

    @Test
    void asASetItMatchesATreeSetUnderRandomOperations() {
        Random random = new Random(42);
        for (int trial = 0; trial < 50; trial++) {
            UniqueOrder<Void> order = new UniqueOrder<>(false);
            TreeSet<Long> model = new TreeSet<>();
            long base = 1_000;
            for (int step = 0; step < 2_000; step++) {
                // Mostly nearly in order, sometimes far out of order, sometimes from the middle.
                long unique = base + 2L * random.nextInt(trial % 2 == 0 ? 8 : 200) - 16;
                switch (random.nextInt(5)) {
                    case 0, 1 -> {
                        assertThat(order.addIfAbsent(unique)).isEqualTo(model.add(unique));
                        base += 2;
                    }
                    case 2 -> assertThat(order.remove(unique)).isEqualTo(model.remove(unique));
                    case 3 -> {
                        if (!model.isEmpty()) {
                            long first = model.pollFirst();
                            assertThat(order.first()).isEqualTo(first);
                            assertThat(order.remove(first)).isTrue();
                        }
                    }
                    default -> assertThat(order.contains(unique)).isEqualTo(model.contains(unique));
                }
                assertThat(order.size()).isEqualTo(model.size());
                if (!model.isEmpty()) {
                    assertThat(order.first()).isEqualTo(model.first());
                    assertThat(order.last()).isEqualTo(model.last());
                }
            }
        }
    }

    @Test
    void withValuesItMatchesASortedListUnderRandomOperations() {
        Random random = new Random(7);
        UniqueOrder<Long> order = new UniqueOrder<>(true);
        List<Long> model = new ArrayList<>();
        for (int step = 0; step < 20_000; step++) {
            // A random walk in size, up to a few hundred entries.
            if (random.nextInt(100) < 52 || model.isEmpty()) {
                long unique = step + random.nextInt(50) - 25;
                order.add(unique, unique);
                int at = 0;
                while (at < model.size() && model.get(at) <= unique) {
                    at++;
                }
                model.add(at, unique);
            } else {
                assertThat(order.pollFirst()).isEqualTo(model.removeFirst());
            }
            assertThat(order.size()).isEqualTo(model.size());
            if (step % 100 == 0) {
                List<Long> values = new ArrayList<>();
                for (int i = 0; i < order.size(); i++) {
                    values.add(order.valueAt(i));
                }
                assertThat(values).isEqualTo(model);
            }
        }
    }
}
