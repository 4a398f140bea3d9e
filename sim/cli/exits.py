"""How a command ends: its exit code (the table in docs/reliability.md)."""

from sim.errors import InputError

EXIT_FAILED = 1  # ran, and checks (validate) or scenarios and blocks (batch) failed
EXIT_BAD_INPUT = InputError.exit_code  # every kind of input error, and a path the system refused
EXIT_INTERNAL = 3  # a bug: the traceback is printed
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM
