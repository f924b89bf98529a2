"""Records arriving in batches: HR systems and providers push them (later also the platform pull and imports)."""
