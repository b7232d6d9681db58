package io.javafuse.api;

/** The answer to {@code create} and {@code tmpfile}: the new node and its open handle. */
public record Created(Entry entry, Open open) {}
