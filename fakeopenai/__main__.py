import sys

from fakeopenai.cli import main

sys.exit(main())
