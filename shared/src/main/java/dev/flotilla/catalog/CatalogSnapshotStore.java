package dev.flotilla.catalog;

import java.util.Optional;

/**
 * Where the latest catalog snapshot is kept for every function to read: the claim table in AWS, memory in tests and
 * simulations. A reader sees a whole snapshot or none, never part of one being written.
 */
public interface CatalogSnapshotStore {

  /** The latest whole snapshot, if one was ever stored. */
  Optional<CatalogSnapshot> latest();

  /**
   * Stores a snapshot as the latest, unless one built later is already there (then this one is dropped).
   *
   * @return whether it is now the latest
   */
  boolean put(CatalogSnapshot snapshot);
}
