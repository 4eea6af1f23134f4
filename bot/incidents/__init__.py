"""Major-incident awareness: surges of similar problem reports from different people."""
