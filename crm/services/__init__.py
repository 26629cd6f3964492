"""Use-cases. Each takes a unit of work plus primitives or DTOs, commits once, returns DTOs."""
