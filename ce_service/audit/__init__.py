"""The record history's proof: the hash chain, signed checkpoints of its head, and their verification."""
