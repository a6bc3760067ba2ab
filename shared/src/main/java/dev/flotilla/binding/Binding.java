package dev.flotilla.binding;

/** A pod the binder placed on a node. */
public record Binding(String pod, String node) {}
