"""The web front end: one HTML shell for every page and the ES modules it loads, served by the
app itself (no CDN, no build step, no Node). The pages are a client of the public API only."""

from boxoffice.web.pages import mount_web, not_found_page

__all__ = ["mount_web", "not_found_page"]
