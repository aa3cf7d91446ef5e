"""Report writers: HTML pages and sections rendered from Jinja2 templates (templates/*.html.j2)
with autoescaping, so names taken from data (installations, accounts, kinds) cannot inject markup.
Chart fragments produced by Plotly are the one input marked safe."""
