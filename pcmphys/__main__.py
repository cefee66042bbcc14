"""``python -m pcmphys ...`` runs the command-line interface (see :mod:`pcmphys.cli`)."""

from pcmphys.cli import main

raise SystemExit(main())
