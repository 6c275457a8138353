"""Where articles come from: folders of Markdown, front matter, crawled text and saved web pages."""
