"""NumPy backend."""
