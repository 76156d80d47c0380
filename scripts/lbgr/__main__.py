import sys

from lbgr.cli import main

sys.exit(main())
