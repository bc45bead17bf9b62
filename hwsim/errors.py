"""The exception type of :mod:`hwsim`: bad configurations, topologies, tables or layers."""


class HwsimError(ValueError):
    """Bad input to the simulator; the message names the file, line or key and what to do."""
