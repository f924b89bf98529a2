"""The compliance API review systems ask at declaration time, with signed receipts."""
