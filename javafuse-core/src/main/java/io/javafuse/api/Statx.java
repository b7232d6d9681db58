package io.javafuse.api;

import java.time.Instant;

/** The answer to {@code statx}: the usual attributes plus the birth time (null when unknown). */
public record Statx(Attr attr, Instant btime) {}
