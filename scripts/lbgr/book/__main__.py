import sys

from lbgr.book.build import main

sys.exit(main())
