"""``python -m stae.cli``."""

from stae.cli import main

raise SystemExit(main())
