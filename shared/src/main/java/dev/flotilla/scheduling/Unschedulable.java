package dev.flotilla.scheduling;

/** A pod no node can be planned for, and why, in words a person can act on. */
public record Unschedulable(String pod, String reason) {}
