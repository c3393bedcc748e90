"""Webhooks: the delivery engine (engine.py), its tables (deliveries.py) and the outbound HTTP calls (outbound.py)."""
