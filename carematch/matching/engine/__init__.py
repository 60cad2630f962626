"""The matching core: plain Python over NumPy, no Django."""
