"""ottext."""
