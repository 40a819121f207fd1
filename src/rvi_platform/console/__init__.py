"""The console's server in the embedded stack: the built single-page app (web/dist) with an
index.html fallback, its runtime configuration, and the development sign-in."""
