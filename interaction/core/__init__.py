"""Infrastructure every feature relies on; it knows no feature."""
