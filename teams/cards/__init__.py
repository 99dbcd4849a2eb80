"""Pure renderers: a domain object in, an Adaptive Card (schema 1.5, as Teams renders it) out."""
