"""JAX backend."""
