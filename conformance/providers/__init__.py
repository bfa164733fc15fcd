"""The providers the kit ships, one package each (see :mod:`conformance.registry` for what a package holds)."""
