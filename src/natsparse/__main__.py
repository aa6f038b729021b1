"""`python -m natsparse` runs the CLI."""

from natsparse.cli import main

raise SystemExit(main())
