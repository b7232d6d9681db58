package io.javafuse.api;

import java.util.EnumMap;
import java.util.Map;

/**
 * How requests flow from the reader threads to the handlers.
 *
 * @param maxQueueSize          requests admitted but not yet running; when full, the readers stop
 *                              reading and the kernel holds the rest (backpressure, never a drop)
 * @param workerThreads         a fixed pool of this many platform threads; 0 for virtual threads
 * @param maxConcurrentHandlers with virtual threads, how many handlers may run at once
 * @param priorityOrdering      false: plain first-in first-out
 * @param priorities            per-operation overrides of {@link Priority#defaultFor}
 * @param starvationLimit       a request waiting at the head of its priority is overtaken by at
 *                              most this many requests of higher priorities before it runs
 * @param inline                whether a reader thread runs a request itself when the queue is
 *                              empty and the filesystem lists its operation in
 *                              {@link FileSystem#inlineOperations}
 */
public record DispatcherConfig(int maxQueueSize, int workerThreads, int maxConcurrentHandlers,
                               boolean priorityOrdering, Map<Operation, Priority> priorities, int starvationLimit,
                               boolean inline) {

    public DispatcherConfig {
        if (maxQueueSize < 1) {
            throw new IllegalArgumentException("maxQueueSize must be at least 1: " + maxQueueSize);
        }
        if (workerThreads < 0) {
            throw new IllegalArgumentException("workerThreads must be 0 (virtual threads) or more: " + workerThreads);
        }
        if (maxConcurrentHandlers < 1) {
            throw new IllegalArgumentException("maxConcurrentHandlers must be at least 1: " + maxConcurrentHandlers);
        }
        if (starvationLimit < 1) {
            throw new IllegalArgumentException("starvationLimit must be at least 1: " + starvationLimit);
        }
        priorities = priorities.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(priorities));
    }

    /**
     * Virtual threads, at most 64 handlers at once, a queue of 256, priorities on, starvation
     * bound 16, quick operations run on the reader threads.
     */
    public static DispatcherConfig defaults() {
        return new DispatcherConfig(256, 0, 64, true, Map.of(), 16, true);
    }

    public Priority priorityOf(Operation operation) {
        Priority override = priorities.get(operation);
        return override != null ? override : Priority.defaultFor(operation);
    }

    public boolean virtualThreads() {
        return workerThreads == 0;
    }

    /** How many handlers may run at once. */
    public int concurrency() {
        return virtualThreads() ? maxConcurrentHandlers : workerThreads;
    }

    public DispatcherConfig withMaxQueueSize(int value) {
        return new DispatcherConfig(value, workerThreads, maxConcurrentHandlers, priorityOrdering, priorities,
                starvationLimit, inline);
    }

    public DispatcherConfig withWorkerThreads(int value) {
        return new DispatcherConfig(maxQueueSize, value, maxConcurrentHandlers, priorityOrdering, priorities,
                starvationLimit, inline);
    }

    public DispatcherConfig withMaxConcurrentHandlers(int value) {
        return new DispatcherConfig(maxQueueSize, workerThreads, value, priorityOrdering, priorities, starvationLimit,
                inline);
    }

    public DispatcherConfig withPriorityOrdering(boolean value) {
        return new DispatcherConfig(maxQueueSize, workerThreads, maxConcurrentHandlers, value, priorities,
                starvationLimit, inline);
    }

    public DispatcherConfig withPriority(Operation operation, Priority priority) {
        Map<Operation, Priority> copy = new EnumMap<>(Operation.class);
        copy.putAll(priorities);
        copy.put(operation, priority);
        return new DispatcherConfig(maxQueueSize, workerThreads, maxConcurrentHandlers, priorityOrdering, copy,
                starvationLimit, inline);
    }

    public DispatcherConfig withStarvationLimit(int value) {
        return new DispatcherConfig(maxQueueSize, workerThreads, maxConcurrentHandlers, priorityOrdering, priorities,
                value, inline);
    }

    public DispatcherConfig withInline(boolean value) {
        return new DispatcherConfig(maxQueueSize, workerThreads, maxConcurrentHandlers, priorityOrdering, priorities,
                starvationLimit, value);
    }
}
