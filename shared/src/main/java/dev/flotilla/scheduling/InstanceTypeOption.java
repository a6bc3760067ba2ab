package dev.flotilla.scheduling;

/** One instance type a claim may launch as, at the price of its cheapest allowed offering. */
public record InstanceTypeOption(String name, double pricePerHour) {}
