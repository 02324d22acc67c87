"""``python -m iskpi_analysis.sample --out DIR --seed N --format parquet|csv``."""

import sys

from .write import main

sys.exit(main())
