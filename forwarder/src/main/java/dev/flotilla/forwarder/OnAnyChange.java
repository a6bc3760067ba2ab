package dev.flotilla.forwarder;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

/**
 * An informer handler for what is rebuilt whole from the informer's store on any change (the DaemonSets document, the
 * NodePools partition, every node's PDB view): an add, an update and a delete all just say that something changed.
 */
final class OnAnyChange<T> implements ResourceEventHandler<T> {

  private final Runnable changed;

  OnAnyChange(Runnable changed) {
    this.changed = changed;
  }

  @Override
  public void onAdd(T added) {
    changed.run();
  }

  @Override
  public void onUpdate(T before, T after) {
    changed.run();
  }

  @Override
  public void onDelete(T deleted, boolean finalStateUnknown) {
    changed.run();
  }
}
