"""Ports: the interfaces (Protocols) services depend on, and the errors stores raise for them."""
