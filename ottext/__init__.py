"""ottext."""

from importlib import metadata as _metadata


def package_version(package: str) -> str:
    """An installed package's version, or ``unknown``."""
    try:
        return _metadata.version(package)
    except _metadata.PackageNotFoundError:
        return "unknown"
