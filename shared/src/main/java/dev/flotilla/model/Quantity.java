package dev.flotilla.model;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Kubernetes resource quantities ({@code 500m}, {@code 1.5}, {@code 256Mi}, {@code 1G}, {@code 2e3}) read into the
 * integer units Flotilla counts in: millicores for CPU, bytes (or plain units) for everything else. Fractions round
 * up, as the API server does, so a request never shrinks.
 */
public final class Quantity {

  private Quantity() {}

  /** CPU in millicores. */
  public static long millis(String quantity) {
    return parse(quantity).movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /** Bytes (memory, storage) or plain counts (pods, GPUs). */
  public static long units(String quantity) {
    return parse(quantity).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  static BigDecimal parse(String raw) {
    if (raw == null || raw.isBlank()) {
      throw new IllegalArgumentException("empty quantity");
    }
    String q = raw.trim();
    int i = q.length();
    while (i > 0 && Character.isLetter(q.charAt(i - 1))) {
      i--;
    }
    String number = q.substring(0, i);
    String suffix = q.substring(i);
    BigDecimal value;
    try {
      value = new BigDecimal(number);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a quantity: '" + raw + "'");
    }
    BigDecimal factor = switch (suffix) {
      case "" -> BigDecimal.ONE;
      case "m" -> new BigDecimal("0.001");
      case "k" -> BigDecimal.TEN.pow(3);
      case "M" -> BigDecimal.TEN.pow(6);
      case "G" -> BigDecimal.TEN.pow(9);
      case "T" -> BigDecimal.TEN.pow(12);
      case "P" -> BigDecimal.TEN.pow(15);
      case "E" -> BigDecimal.TEN.pow(18);
      case "Ki" -> BigDecimal.valueOf(1L << 10);
      case "Mi" -> BigDecimal.valueOf(1L << 20);
      case "Gi" -> BigDecimal.valueOf(1L << 30);
      case "Ti" -> BigDecimal.valueOf(1L << 40);
      case "Pi" -> BigDecimal.valueOf(1L << 50);
      case "Ei" -> BigDecimal.valueOf(1L << 60);
      default -> throw new IllegalArgumentException("unknown quantity suffix '" + suffix + "' in '" + raw + "'");
    };
    BigDecimal result = value.multiply(factor);
    if (result.signum() < 0) {
      throw new IllegalArgumentException("negative quantity: '" + raw + "'");
    }
    return result;
  }
}
