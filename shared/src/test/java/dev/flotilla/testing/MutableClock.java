package dev.flotilla.testing;

import dev.flotilla.time.ManualClock;
import java.time.Instant;

/** A clock tests move by hand. */
public final class MutableClock extends ManualClock {

  public MutableClock(Instant start) {
    super(start);
  }
}
