"""Loss functions: pure torch functions of tensors, one module per paper."""
