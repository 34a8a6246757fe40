"""Business rules as plain async functions: session first, keyword-only inputs, never commit."""
