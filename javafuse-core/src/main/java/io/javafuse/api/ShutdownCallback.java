package io.javafuse.api;

/** Hears about a mount's shutdown; every method runs on the shutdown's own thread, and must not block long. */
public interface ShutdownCallback {
    default void onShutdownBegin(String reason) {}

    default void onStateChange(ShutdownState from, ShutdownState to) {}

    default void onShutdownComplete(ShutdownStats stats) {}
}
