"""``python -m kling_errors ...``: the ``kling-errors`` command, under that name."""

from .cli import run

if __name__ == "__main__":
    run()
