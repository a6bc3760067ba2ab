package dev.flotilla.simulation;

import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Injects a scenario's {@link Faults}: wraps each port a function uses so that its calls may be interleaved with
 * another invocation's, refused by throttling, or followed by the invocation's death; gives CreateFleet its ways of
 * failing; and decides which deliveries come twice or late. Every choice comes from one seeded random, and only one
 * invocation runs at a time, so a schedule replays exactly. Counts what it injected, by kind.
 */
final class FaultInjection {

  /** The invocation died after a call (a timeout, running out of memory): an Error, so no service catches it. */
  static final class InvocationDied extends Error {
    private static final long serialVersionUID = 1L;

    InvocationDied(String after) {
      super("the invocation died after " + after);
    }
  }

  /** A call refused by throttling once the SDK's retries ran out: nothing was done. */
  static final class Throttled extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Throttled(String call) {
      super(call + ": ThrottlingException: Rate exceeded (retries exhausted)");
    }
  }

  /** CreateFleet launched, but its answer never came back. */
  static final class ResponseLost extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ResponseLost() {
      super("CreateFleet: the connection closed before the response (Unable to execute HTTP request)");
    }
  }

  private final Faults faults;
  private final Random random;
  private final Clock clock;
  private final Instant until;
  private final Interleaving interleaving;
  private final Map<String, Integer> injected = new TreeMap<>();
  private final ThreadLocal<String> function = new ThreadLocal<>();

  FaultInjection(Faults faults, Clock clock, Instant start) {
    this.faults = faults;
    this.random = new Random(faults.seed());
    this.clock = clock;
    this.until = start.plus(faults.until());
    this.interleaving = new Interleaving(random);
  }

  boolean active() {
    return faults.any() && clock.instant().isBefore(until);
  }

  Faults faults() {
    return faults;
  }

  Interleaving interleaving() {
    return interleaving;
  }

  /** Whether the seeded schedule says yes to something that happens this share of the time. */
  boolean chance(double share) {
    return share > 0 && active() && random.nextDouble() < share;
  }

  /** A delay from 0 to {@code max}, whole seconds. */
  Duration upTo(Duration max) {
    return Duration.ofSeconds(random.nextInt((int) max.toSeconds() + 1));
  }

  void count(String kind) {
    synchronized (injected) {
      injected.merge(kind, 1, Integer::sum);
    }
  }

  Map<String, Integer> injected() {
    synchronized (injected) {
      return new TreeMap<>(injected);
    }
  }

  /** Runs one invocation of {@code name}: its port calls are the ones faults hit. */
  void asFunction(String name, Runnable invocation) {
    function.set(name);
    try {
      invocation.run();
    } finally {
      function.remove();
    }
  }

  /** The function whose invocation is running on this thread, or null for the simulation's own work. */
  String function() {
    return function.get();
  }

  /** The port as a function sees it, faults and all; the simulation itself keeps using {@code target}. */
  @SuppressWarnings("unchecked")
  <T> T port(Class<T> type, T target) {
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
      if (method.getDeclaringClass() == Object.class || function.get() == null) {
        return call(target, method, args);
      }
      String name = type.getSimpleName() + "." + method.getName();
      interleaving.yieldPoint();
      if (chance(faults.throttle())) {
        count("throttled");
        throw new Throttled(name);
      }
      Object result = target instanceof CloudProvider cloud && method.getName().equals("launch")
          ? launch(cloud, (List<LaunchRequest>) args[0]) : call(target, method, args);
      if (chance(faults.crashAfterPortCall())) {
        count("crashAfterPortCall");
        throw new InvocationDied(name);
      }
      return result;
    });
  }

  /** CreateFleet with EC2's ways of failing: no capacity, part of the request, the answer lost. */
  private List<LaunchResult> launch(CloudProvider cloud, List<LaunchRequest> requests) {
    List<LaunchRequest> asked = new ArrayList<>();
    Map<String, LaunchResult> refused = new java.util.HashMap<>();
    for (LaunchRequest r : requests) {
      // a request repeated with its client token gets the first one's answer, whatever EC2's capacity is now
      boolean replayed = cloud instanceof SimulatedEc2 ec2 && ec2.launchedFor(r.claimId());
      if (!replayed && chance(faults.insufficientCapacity())) {
        count("insufficientCapacity");
        refused.put(r.claimId(), new LaunchResult.Failed(r.claimId(),
            "InsufficientInstanceCapacity: We currently do not have sufficient capacity in the Availability Zone"));
      } else {
        asked.add(r);
      }
    }
    if (asked.size() > 1 && asked.stream().noneMatch(r -> cloud instanceof SimulatedEc2 ec2
        && ec2.launchedFor(r.claimId())) && chance(faults.partial())) {
      count("partialFulfilment");
      int keep = random.nextInt(asked.size());
      for (LaunchRequest r : asked.subList(keep, asked.size())) {
        refused.put(r.claimId(), new LaunchResult.Failed(r.claimId(),
            "partial fulfilment: InsufficientInstanceCapacity for the rest of the fleet"));
      }
      asked = new ArrayList<>(asked.subList(0, keep));
    }
    List<LaunchResult> launched = asked.isEmpty() ? List.of() : cloud.launch(asked);
    if (!asked.isEmpty() && chance(faults.lostResponse())) {
      count("lostResponse");
      throw new ResponseLost();
    }
    Map<String, LaunchResult> byClaim = new java.util.HashMap<>(refused);
    launched.forEach(l -> byClaim.put(l.claimId(), l));
    return requests.stream().map(r -> byClaim.get(r.claimId())).toList();
  }

  private static Object call(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
