"""The EPUB edition: packaging with ebooklib, the Kobo variant and validation."""
