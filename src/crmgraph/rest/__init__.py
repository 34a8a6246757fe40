"""The REST shim: health, OpenAPI, and (later) webhooks in and out."""
