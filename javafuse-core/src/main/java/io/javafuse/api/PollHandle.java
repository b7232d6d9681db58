package io.javafuse.api;

/** A poll waiter the kernel registered; notify it when the file becomes ready. */
public interface PollHandle {
    long kernelHandle();

    /** Wakes up the pollers waiting on this handle; they then poll again. */
    void notifyReady() throws java.io.IOException;
}
