"""masthead: package a magazine or newsletter issue into an EPUB and a PDF."""

from masthead.build import build, check
from masthead.errors import InputError, MastheadError
from masthead.options import BuildOptions

# The one place of the version (pyproject.toml reads it): no package metadata lookup at start.
__version__ = "0.1.0"

__all__ = ["BuildOptions", "InputError", "MastheadError", "__version__", "build", "check"]
