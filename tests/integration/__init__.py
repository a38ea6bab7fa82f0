"""Tests that start servers, kernels or a real browser."""
