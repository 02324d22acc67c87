"""``python -m iskpi_analysis.report`` (same as ``iskpi report``)."""

import sys

from .cli import main

sys.exit(main())
