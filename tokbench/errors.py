"""The one exception type for a user's mistake: the CLI prints its message as one line and exits 2."""


class UserError(Exception):
    """Bad input from the user (flag, file, trace, model). The message names what and where."""
