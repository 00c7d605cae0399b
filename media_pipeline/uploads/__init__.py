"""Browser-to-bucket multipart uploads (services.py)."""
