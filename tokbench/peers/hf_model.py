"""Load a Hugging Face model directory into transformers, the way both HF peers need it."""

from __future__ import annotations

from pathlib import Path

import torch


def load_hf_model(model_dir: Path, dtype: torch.dtype, device: torch.device):
    """AutoModelForCausalLM in `dtype` with SDPA attention, eval mode, EOS disabled.

    The workload fixes every output length (like vLLM's ignore_eos), so no request may stop early
    on the model's EOS id: EOS is removed from the generation config rather than suppressed in
    the logits, which would change the greedy tokens.
    """
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # tokbench draws its own
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype, attn_implementation="sdpa")
    model = model.to(device).eval()
    model.generation_config.eos_token_id = None
    return model


def greedy_config(**extra):
    """Greedy decoding, no EOS stop, pad id 0 (the exported tokenizer's <unk>)."""
    from transformers import GenerationConfig

    return GenerationConfig(**{"do_sample": False, "eos_token_id": None, "bos_token_id": None, "pad_token_id": 0,
                               **extra})


def hf_engine_info() -> dict:
    import transformers

    return {"transformers": transformers.__version__, "torch": torch.__version__,
            "torch_threads": torch.get_num_threads()}
