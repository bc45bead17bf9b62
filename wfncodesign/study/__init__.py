"""Studies: a TOML definition of data, models, a grid of methods and hardware; a resumable
parallel runner that writes one row per trial; a Markdown report with figures."""
