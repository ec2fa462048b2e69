"""`python -m core.cli ...` runs the `shoplens` command."""

import sys

from core.cli.main import main

sys.exit(main())
