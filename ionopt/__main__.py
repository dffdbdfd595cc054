"""``python -m ionopt`` runs the command line."""

from ionopt.cli import main

if __name__ == "__main__":
    main()
