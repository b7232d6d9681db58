package io.javafuse.api;

import java.util.Map;

/**
 * How a mount shut down.
 *
 * @param gracefulCompletion true if every phase finished within its timeout and nothing was aborted
 * @param failureReason      why the shutdown was forced, or null
 * @param phaseDurations     milliseconds spent in DRAINING and UNMOUNTING
 * @param requestsDrained    requests that finished while draining
 * @param requestsRefused    requests answered ENOTCONN because they came after the shutdown began
 * @param writesFlushed      queued writes applied while draining
 * @param writesLost         acknowledged (write-behind) writes that were never applied
 */
public record ShutdownStats(ShutdownState finalState, String reason, boolean gracefulCompletion, String failureReason,
                            Map<ShutdownState, Long> phaseDurations, long totalDurationMs, long requestsDrained,
                            long requestsRefused, long writesFlushed, long writesLost) {}
