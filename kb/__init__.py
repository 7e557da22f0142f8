"""kb: the domain and its storage. `__version__` is the installed distribution's version."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kb")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
