package dev.flotilla.contracts;

/** An event that cannot be acted on, with the field and path that are wrong. Nothing was done for it. */
public final class InvalidEventException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidEventException(String message) {
    super(message);
  }

  public InvalidEventException(String message, Throwable cause) {
    super(message, cause);
  }
}
