package dev.flotilla.cloud;

import java.time.Instant;
import java.util.Map;

/** An EC2 instance as the garbage collector and the interruption handler see it. */
public record CloudInstance(String id, String instanceType, String zone, String state, Instant launchTime,
    Map<String, String> tags) {

  public CloudInstance {
    tags = Map.copyOf(tags);
  }
}
