package dev.flotilla.manifest;

/** A manifest that cannot be read, with the document and the field path that are wrong. */
public final class ManifestException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ManifestException(String message) {
    super(message);
  }

  public ManifestException(String message, Throwable cause) {
    super(message, cause);
  }
}
