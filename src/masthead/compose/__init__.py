"""From raw articles to the typed Issue: normalise each article, assemble sections and links."""
