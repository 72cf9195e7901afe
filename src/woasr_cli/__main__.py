"""``python -m woasr_cli`` runs the CLI."""

from woasr_cli.cli.app import main

if __name__ == "__main__":
    main()
