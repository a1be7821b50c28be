"""GPU-path tests. Without CUDA, Triton kernels run in its interpreter: it must be switched on
before triton is first imported, so it is set here, ahead of every module of this directory."""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
