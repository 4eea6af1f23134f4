"""Who is asking: directory providers and identity verification."""
