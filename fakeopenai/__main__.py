import sys

from fakeopenai.doors.cli import main

sys.exit(main())
