"""Talking to Hotmart: pure Python, no ORM (see DESIGN.md section 3)."""
