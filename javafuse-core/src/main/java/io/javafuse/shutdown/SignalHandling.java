package io.javafuse.shutdown;

import io.javafuse.api.ShutdownStats;
import sun.misc.Signal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SIGINT and SIGTERM for a process that serves mounts: the first starts a graceful shutdown of
 * every registered mount within a 15 s budget, a second SIGINT forces it. Once all are closed
 * the process exits: 0 if every shutdown was graceful, 1 if any was forced. A signal that
 * arrives while a mount is still being set up shuts it down as soon as it registers.
 */
public final class SignalHandling {
    public static final Duration BUDGET = Duration.ofSeconds(15);
    private static final List<ShutdownManager> MANAGERS = new CopyOnWriteArrayList<>();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    private static final AtomicInteger SIGNALS = new AtomicInteger();
    private static volatile String firstSignal;

    private SignalHandling() {}

    /** Takes over SIGINT and SIGTERM for this process (once). */
    public static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            Signal.handle(new Signal("INT"), SignalHandling::received);
            Signal.handle(new Signal("TERM"), SignalHandling::received);
        }
    }

    /** A mount whose shutdown the signals drive. */
    public static void register(ShutdownManager manager) {
        install();
        MANAGERS.add(manager);
        manager.completion().whenComplete((stats, failure) -> MANAGERS.remove(manager));
        if (firstSignal != null) {
            exitWhenClosed(List.of(manager.initiateGraceful("SIG" + firstSignal + " during mount", BUDGET)));
        }
    }

    public static void unregister(ShutdownManager manager) {
        MANAGERS.remove(manager);
    }

    private static void exitWhenClosed(List<CompletableFuture<ShutdownStats>> shutdowns) {
        CompletableFuture.allOf(shutdowns.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) -> {
            boolean graceful = failure == null && shutdowns.stream().allMatch(f -> f.join().gracefulCompletion());
            System.exit(graceful ? 0 : 1);
        });
    }

    private static void received(Signal signal) {
        int count = SIGNALS.incrementAndGet();
        if (count == 1) {
            firstSignal = signal.getName();
            List<ShutdownManager> managers = List.copyOf(MANAGERS);
            if (managers.isEmpty()) {
                return; // a mount being set up picks it up when it registers
            }
            exitWhenClosed(managers.stream().map(m -> m.initiateGraceful("SIG" + signal.getName(), BUDGET)).toList());
        } else if (signal.getName().equals("INT")) {
            for (ShutdownManager manager : List.copyOf(MANAGERS)) {
                manager.forceImmediate("second SIGINT");
            }
        }
    }
}
