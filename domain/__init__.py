"""The record's domain: pure aggregates, events and rules (no I/O, no GraphQL, no SQL)."""
