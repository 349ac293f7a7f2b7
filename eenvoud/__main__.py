"""`python -m eenvoud`: the same command as `eenvoud`."""

import sys

from eenvoud.cli import main

sys.exit(main())
