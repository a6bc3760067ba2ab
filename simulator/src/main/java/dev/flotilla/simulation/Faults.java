package dev.flotilla.simulation;

import java.time.Duration;
import java.util.List;

/**
 * The faults a scenario injects, the way AWS really runs Flotilla: deliveries duplicated and reordered, invocations
 * overlapping, invocations dying after a call, CreateFleet failing in its several ways, calls throttled, expired
 * items lingering, the forwarder restarting. Seeded, so that a failing schedule replays exactly; none after
 * {@code until}, so that liveness is judged on a calm cluster.
 *
 * @param seed what every random choice of the schedule derives from
 * @param duplicateDelivery share of deliveries that come twice, the copy 0 to 30 s later
 * @param reorder share of deliveries delayed 0 to 10 s, so that later ones overtake them
 * @param concurrency at most this many invocations run at once, their port calls interleaved
 * @param crashAfterPortCall share of a function's port calls after which its invocation dies (the call's effect
 *     stands); Lambda then retries the event, as its asynchronous invocation does, up to twice
 * @param insufficientCapacity share of launch requests EC2 answers with no capacity
 * @param partial share of CreateFleet calls that fulfil only part of what they ask
 * @param lostResponse share of CreateFleet calls that launch and whose answer is lost
 * @param throttle share of a function's port calls refused by throttling once the SDK's retries ran out: no
 *     effect, and the invocation fails
 * @param ttlLag how long an expired item may still be read back before DynamoDB deletes it
 * @param forwarderRestartAt when the forwarder restarts: its open batch is lost and it lists everything again
 * @param until when the faults stop
 */
public record Faults(long seed, double duplicateDelivery, double reorder, int concurrency, double crashAfterPortCall,
    double insufficientCapacity, double partial, double lostResponse, double throttle, Duration ttlLag,
    List<Duration> forwarderRestartAt, Duration until) {

  public static final Faults NONE = new Faults(0, 0, 0, 1, 0, 0, 0, 0, 0, Duration.ZERO, List.of(), Duration.ZERO);

  public Faults {
    forwarderRestartAt = List.copyOf(forwarderRestartAt);
  }

  /** Whether anything is injected at all: without faults, every invocation runs at once, on time, alone. */
  public boolean any() {
    return !equals(NONE);
  }

  /** The same faults from another seed: a different schedule of the same kinds and rates. */
  public Faults withSeed(long other) {
    return new Faults(other, duplicateDelivery, reorder, concurrency, crashAfterPortCall, insufficientCapacity,
        partial, lostResponse, throttle, ttlLag, forwarderRestartAt, until);
  }
}
