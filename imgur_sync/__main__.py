"""Allow ``python -m imgur_sync``."""

from imgur_sync.cli import main

if __name__ == "__main__":
    main()
