"""Server-rendered admin UI (Jinja + HTMX) for the consultancy team."""
