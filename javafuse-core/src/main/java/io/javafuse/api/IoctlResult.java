package io.javafuse.api;

/** The answer to a restricted {@code ioctl}: its return value and the bytes copied back to the caller. */
public record IoctlResult(int result, byte[] out) {}
