"""Exceptions that the command line turns into one-line messages."""


class QabotError(Exception):
    """An error the user can act on; its message is a single sentence."""


class ConfigError(QabotError):
    """The configuration file or an environment variable is invalid."""


class IndexMissing(QabotError):
    """No knowledge base has been built yet."""


class IndexInvalid(QabotError):
    """The knowledge base on disk is damaged or from another format version."""

    ADVICE = "; run `qabot build` to rebuild it"

    def __init__(self, reason: str) -> None:
        super().__init__(reason + self.ADVICE)
        self.reason = reason  # without the advice, for a rebuild already under way


class BuildFailed(QabotError):
    """A build found no usable article; the previous knowledge base is untouched."""


def os_error_paths(exc: OSError) -> str:
    """The files an OS error names ('a -> b' for a rename), or '' when it names none."""
    return " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p)
