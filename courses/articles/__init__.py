"""Articles: guides to conditions with embedded preview clips, their pages, sitemap and feed."""
