"""The outputs: the EPUB edition (epub/) and the PDF edition (pdf/), and the cover they share."""
