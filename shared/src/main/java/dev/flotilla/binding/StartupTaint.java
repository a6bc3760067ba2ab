package dev.flotilla.binding;

import dev.flotilla.model.Taint;

/**
 * The taint a node Flotilla launches registers with, and loses once the pods planned for it are nominated there (or
 * after 30 s whatever happened). While it holds, kube-scheduler places nothing else on the node; plans ignore it, as
 * they ignore any startup taint: pods need not tolerate it to be planned there. Consolidation's check does not: a
 * node still carrying it takes only the pods its Nominate is to bring.
 */
public final class StartupTaint {

  public static final Taint INITIALIZING = new Taint("flotilla.dev/initializing", "true", "NoSchedule");

  private StartupTaint() {}

  public static boolean is(Taint taint) {
    return INITIALIZING.key().equals(taint.key());
  }
}
