"""Evaluation, outside the pipeline: verdict and metadata accuracy against labels, and content
accuracy against the gold standard of the development set."""
