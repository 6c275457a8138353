"""The theme and its templates: an Issue rendered to the HTML/XHTML documents of each edition."""
