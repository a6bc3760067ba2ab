package dev.flotilla.model;

/** The operators of node selector requirements and label selector expressions. */
public enum Operator {
  In, NotIn, Exists, DoesNotExist, Gt, Lt;

  public static Operator parse(String text) {
    for (Operator op : values()) {
      if (op.name().equals(text)) {
        return op;
      }
    }
    throw new IllegalArgumentException("unknown operator '" + text + "' (In, NotIn, Exists, DoesNotExist, Gt, Lt)");
  }
}
