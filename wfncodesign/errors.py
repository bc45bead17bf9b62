"""The exception type of :mod:`wfncodesign`: bad input a user can fix (files, options, configs)."""


class WfnError(ValueError):
    """Bad input to the codesign tool; the message names the input, the fault and the fix."""
