"""The one exception type of :mod:`compress`: raised for input a user can get wrong."""


class CompressError(ValueError):
    """Bad input to a compression routine; the message names the input, the fault and the fix."""
