"""`python -m sim`: the command line (sim.cli), as the `sim` command runs it."""

import sys

from sim.cli import main

sys.exit(main())
