"""``python -m partledger.cli``."""

from partledger.cli import app

app()
