"""Reading a model's answers: error tables, slices, comparisons, the probe, audits, explanations."""
