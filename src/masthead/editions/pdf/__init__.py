"""The PDF edition: one WeasyPrint pass, or articles laid out in pieces and joined."""
