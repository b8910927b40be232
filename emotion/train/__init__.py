"""Training: fine-tuning, distillation, the noise the student reads, evaluation and the model card."""
