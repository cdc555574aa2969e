"""Talking to Hotmart: pure Python, no ORM (see docs/architecture.md)."""
