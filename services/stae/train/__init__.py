"""Training and data: the synthetic dataset, dataset readers, and the step-by-step training of Algorithm 1."""
