package dev.flotilla.model;

import java.util.List;
import java.util.Map;

/**
 * One node selector requirement ({@code key operator values}), as in node affinity, NodePool requirements and label
 * selector expressions. {@code minValues} is the NodePool's flexibility demand (at least that many distinct values
 * among the instance types a claim may launch); 0 when unset.
 */
public record Requirement(String key, Operator operator, List<String> values, int minValues) {

  public Requirement {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("requirement: key is required");
    }
    values = values == null ? List.of() : List.copyOf(values);
    switch (operator) {
      case In, NotIn -> {
        if (values.isEmpty()) {
          throw new IllegalArgumentException("requirement " + key + " " + operator + ": values must not be empty");
        }
      }
      case Gt, Lt -> {
        if (values.size() != 1) {
          throw new IllegalArgumentException("requirement " + key + " " + operator + ": needs exactly one value");
        }
        try {
          Long.parseLong(values.getFirst());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "requirement " + key + " " + operator + ": value '" + values.getFirst() + "' is not an integer");
        }
      }
      case Exists, DoesNotExist -> {
        if (!values.isEmpty()) {
          throw new IllegalArgumentException("requirement " + key + " " + operator + ": takes no values");
        }
      }
    }
  }

  public Requirement(String key, Operator operator, List<String> values) {
    this(key, operator, values, 0);
  }

  public static Requirement in(String key, String... values) {
    return new Requirement(key, Operator.In, List.of(values));
  }

  public Requirement withKey(String newKey) {
    return new Requirement(newKey, operator, values, minValues);
  }

  /** Whether a node (or offering) with these labels satisfies the requirement. */
  public boolean matches(Map<String, String> labels) {
    return matchesValue(labels.get(key));
  }

  /** Whether a label value ({@code null} when the label is absent) satisfies the requirement. */
  public boolean matchesValue(String value) {
    return switch (operator) {
      case In -> value != null && values.contains(value);
      case NotIn -> value == null || !values.contains(value);
      case Exists -> value != null;
      case DoesNotExist -> value == null;
      case Gt -> isInteger(value) && Long.parseLong(value) > Long.parseLong(values.getFirst());
      case Lt -> isInteger(value) && Long.parseLong(value) < Long.parseLong(values.getFirst());
    };
  }

  private static boolean isInteger(String value) {
    if (value == null || value.isEmpty()) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!(Character.isDigit(c) || (i == 0 && c == '-' && value.length() > 1))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return switch (operator) {
      case Exists, DoesNotExist -> key + " " + operator;
      default -> key + " " + operator + " " + (values.size() == 1 ? values.getFirst() : values.toString());
    };
  }
}
