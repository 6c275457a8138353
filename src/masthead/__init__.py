"""masthead: package a magazine or newsletter issue into an EPUB and a PDF."""

from importlib.metadata import PackageNotFoundError, version

from masthead.build import build, check
from masthead.errors import InputError, MastheadError

try:
    __version__ = version("masthead")
except PackageNotFoundError:  # Running from a source tree without installing.
    __version__ = "0.0.0"

__all__ = ["build", "check", "InputError", "MastheadError", "__version__"]
