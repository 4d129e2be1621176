"""{{name}}: a small HTTP service. The WSGI app is `app.web:app`; `python3 -m app` serves it locally."""
