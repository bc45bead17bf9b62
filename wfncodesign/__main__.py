"""``python -m wfncodesign``: the same as the ``wfncodesign`` console script."""

from wfncodesign.cli import main

raise SystemExit(main())
