"""Training loop of the sequence models: AdamW, early stopping on validation NDCG@10, repeatable.

``train_model(split, model_config, train_config)`` fits on ``split.train`` (one row per purchase
basket, ``models.batches``), evaluates ``split.valid`` with ``models.metrics.evaluate`` after
every epoch and keeps the best state. The same seed gives the same numbers bit for bit on CPU
(fixed threads, deterministic algorithms, a numpy Generator for the data order, the global
torch RNG forked so callers' random state is untouched).

Under ``torchrun --nproc_per_node=N -m models.train ...`` (RANK/WORLD_SIZE set) each process
trains on its shard of the rows inside DistributedDataParallel (gloo on CPU, nccl on CUDA);
rank 0 validates, writes the checkpoint and the metrics.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn

from models.batches import LogIndex, basket_rows, predict, target_rows
from models.data import EventLog, Split, Target, load_npz, split
from models.encoders import ModelConfig, side_tensors
from models.metrics import evaluate
from models.networks import RecurrentRec, SASRec
from models.runtime import (
    any_rank,
    mean_over_ranks,
    pick_device,
    repeatable,
    start_distributed,
    stop_distributed,
    trim_heap,
)

log = logging.getLogger(__name__)
Progress = Callable[[dict], None]


@dataclass
class TrainConfig:
    """How a model is fitted (the architecture is ``ModelConfig``)."""

    epochs: int = 4  # also the horizon of the cosine schedule
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.05
    grad_clip: float = 1.0
    schedule: str = "cosine"  # "cosine": linear warm-up, then cosine decay to 10 % at `epochs`
    warmup: float = 0.05  # share of all steps spent warming up
    patience: int = 2  # epochs without a better validation NDCG@10 before stopping
    seed: int = 0
    threads: int = 1  # torch intra-op threads, fixed so runs repeat bit for bit; 0 = leave as is
    eval_batch: int = 512
    device: str = "cpu"  # "cpu" | "cuda" | "auto"
    deterministic: bool = True
    max_seconds: float = 0.0  # stop after the epoch that crosses this budget; 0 = no budget


@dataclass
class FitResult:
    """What a fit did: per-epoch history and the epoch whose weights were kept."""

    best_epoch: int = 0
    best_valid_ndcg10: float = float("nan")
    epochs_run: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    history: list[dict] = field(default_factory=list)


def build_model(config: ModelConfig, side: dict[str, torch.Tensor] | None = None) -> nn.Module:
    """The ``nn.Module`` of ``config.arch``."""
    if config.arch == "sasrec":
        return SASRec(config, side)
    if config.arch in ("gru", "lstm"):
        return RecurrentRec(config, side)
    raise ValueError(f"Unknown arch {config.arch!r}: use 'sasrec', 'gru' or 'lstm'.")


LARGE_CATALOG = 20_000  # products above which training samples the explore side's softmax
SAMPLED_NEGATIVES = 4096  # shared negatives per batch then (plus the batch's own targets)


def sized_for(log: EventLog, config: ModelConfig) -> ModelConfig:
    """``config`` with the catalog, context and side-feature sizes of ``log``, and the softmax
    decided when left to the catalog (``n_negatives=-1``): full below LARGE_CATALOG products,
    sampled above (a 65k-product grocery shop's epoch took minutes in the (B, N) matrices).
    Scoring is always over the full catalog."""
    negatives = config.n_negatives
    if negatives < 0:
        negatives = SAMPLED_NEGATIVES if log.n_items > LARGE_CATALOG else 0
    return replace(config, n_items=int(log.n_items), context_sizes=dict(log.context_sizes),
                   side_sizes=dict(log.side_sizes), n_negatives=negatives)


def checkpoint(model: nn.Module, **extra: object) -> dict:
    """``{"model_args", "state_dict", ...}``: loadable with ``torch.load(weights_only=True)``."""
    return {"model_args": asdict(model.config), "state_dict": dict(model.state_dict()), **extra}


def from_checkpoint(ckpt: dict) -> nn.Module:
    """Rebuild a model saved by ``checkpoint`` (in eval mode)."""
    model = build_model(ModelConfig(**ckpt["model_args"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def lr_factor(step: int, total: int, config: TrainConfig) -> float:
    """Learning-rate multiplier at ``step`` of ``total``."""
    if config.schedule == "constant":
        return 1.0
    warm = max(1, int(config.warmup * total))
    if step < warm:
        return (step + 1) / warm
    done = min(1.0, (step - warm) / max(1, total - warm))
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * done))


class _Scorer:
    """``models.metrics.Scorer`` over a bare module, for validation inside the loop."""

    def __init__(self, model: nn.Module, index: LogIndex, batch_size: int) -> None:
        self.model, self.index, self.batch_size = model, index, batch_size

    def score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        index = self.index if log is self.index.log else LogIndex(log)
        return predict(self.model, index, target_rows(index, targets), self.batch_size)


def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=config.lr, betas=(0.9, 0.98))


def train_model(data: Split, model_config: ModelConfig, config: TrainConfig,
                progress: Progress | None = None, stop: Callable[[], bool] | None = None
                ) -> tuple[nn.Module, FitResult]:
    """Fit a model of ``model_config`` on ``data.train``; returns the best-validation model."""
    device = pick_device(config)
    rank, world, owned = start_distributed(device)
    try:
        with repeatable(config):
            return _fit(data, sized_for(data.train, model_config), config, device, rank, world,
                        progress, stop)
    finally:
        if owned:
            stop_distributed()


def _fit(data: Split, mcfg: ModelConfig, config: TrainConfig, device: torch.device, rank: int,
         world: int, progress: Progress | None, stop: Callable[[], bool] | None
         ) -> tuple[nn.Module, FitResult]:
    model = build_model(mcfg, side_tensors(data.train.item_side))
    if getattr(model.head, "kernel", None) is not None:
        model.head.kernel.init_from(data.train)  # per-product intervals from the training gaps
    model = model.to(device)
    torch.manual_seed(config.seed + rank)  # dropout differs per rank; weights come from rank 0
    index = LogIndex(data.train)
    rows = basket_rows(index)
    if len(rows) < world:
        raise ValueError("The training period has no purchase baskets with a history to learn from.")
    net: nn.Module = model
    if world > 1:
        ids = [device] if device.type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    opt = _optimizer(model, config)
    n_batches = math.ceil((len(rows) // world) / config.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: lr_factor(step, n_batches * config.epochs, config))
    scorer = _Scorer(model, LogIndex(data.log), config.eval_batch)
    rng = np.random.default_rng(config.seed)
    result, best_state = FitResult(best_valid_ndcg10=-math.inf), None
    start = time.perf_counter()
    log.info("training %s (%d rows, %d parameters) on %s x%d", mcfg.arch, len(rows),
             sum(p.numel() for p in model.parameters()), device, world)
    for epoch in range(1, config.epochs + 1):
        perm = rng.permutation(len(rows))
        if world > 1:  # same number of batches on every rank
            perm = perm[rank::world][: len(rows) // world]
        model.train()
        total, batches = 0.0, 0
        for lo in range(0, len(perm), config.batch_size):
            if any_rank(bool(stop and stop()), world, device):
                result.cancelled = True
                break
            sel = perm[lo:lo + config.batch_size]
            _, loss = net(index.batch(rows, sel, mcfg).to(device), rows.targets(sel).to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            opt.step()
            sched.step()
            total, batches = total + float(loss.item()), batches + 1
            if batches % 16 == 0:
                trim_heap()
        if result.cancelled:
            log.info("training cancelled in epoch %d", epoch)
            break
        ndcg = _validate(scorer, data, rank, world, device)
        trim_heap()
        mean_loss = mean_over_ranks(total / max(batches, 1), world, device)
        seconds = time.perf_counter() - start
        result.epochs_run = epoch
        if ndcg > result.best_valid_ndcg10 or not data.valid:  # without validation: the last epoch
            result.best_epoch, result.best_valid_ndcg10 = epoch, ndcg
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        row = {"epoch": epoch, "epochs": config.epochs, "loss": mean_loss,
               "valid_ndcg10": ndcg if math.isfinite(ndcg) else float("nan"),
               "seconds": seconds, "eta_seconds": seconds / epoch * (config.epochs - epoch)}
        result.history.append(row)
        if rank == 0:
            log.info("epoch %d/%d loss %.4f valid NDCG@10 %.4f (%.1fs)", epoch, config.epochs, mean_loss,
                     ndcg, seconds)
            if progress:
                progress(dict(row))
        if data.valid and epoch - result.best_epoch >= config.patience:
            break
        if any_rank(bool(config.max_seconds) and seconds >= config.max_seconds, world, device):
            log.info("time budget of %.0fs reached after epoch %d", config.max_seconds, epoch)
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if math.isinf(result.best_valid_ndcg10):
        result.best_valid_ndcg10 = float("nan")  # no validation baskets
    model.eval()
    result.seconds = time.perf_counter() - start
    return model, result


def _validate(scorer: _Scorer, data: Split, rank: int, world: int, device: torch.device) -> float:
    """Validation NDCG@10 on rank 0, shared with every rank (NaN without validation baskets)."""
    value = float("nan")
    if rank == 0 and data.valid:
        value = evaluate(scorer, data, "valid", batch=scorer.batch_size)["ndcg@10"]
    if world > 1:
        t = torch.tensor([value], dtype=torch.float64, device=device)
        dist.broadcast(t, src=0)
        value = float(t.item())
    return value if not math.isnan(value) else -math.inf


def main(argv: list[str] | None = None) -> int:
    """``python -m models.train --events LOG.npz --out DIR``: fit, evaluate, save (rank 0)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", required=True, help="EventLog saved with models.data.save_npz")
    p.add_argument("--out", required=True, help="folder for model.pt and metrics.json")
    mdef, tdef = ModelConfig(), TrainConfig()
    mnames = ("arch", "d_model", "n_layers", "n_heads", "dropout", "max_len", "repeat_len", "n_negatives")
    for name in mnames:
        p.add_argument("--" + name.replace("_", "-"), type=type(getattr(mdef, name)),
                       default=getattr(mdef, name))
    p.add_argument("--no-repeat", action="store_true", help="explore-only model (no repeat mixture)")
    tnames = ("epochs", "batch_size", "lr", "weight_decay", "patience", "seed", "threads", "device",
              "max_seconds", "schedule", "warmup")
    for name in tnames:
        p.add_argument("--" + name.replace("_", "-"), type=type(getattr(tdef, name)),
                       default=getattr(tdef, name))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    mcfg = replace(mdef, repeat=not args.no_repeat, **{k: getattr(args, k) for k in mnames})
    tcfg = replace(tdef, **{k: getattr(args, k) for k in tnames})
    data = split(load_npz(args.events))
    model, result = train_model(data, mcfg, tcfg)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scorer = _Scorer(model, LogIndex(data.log), tcfg.eval_batch)
    metrics = {"fit": asdict(result), "world_size": int(os.environ.get("WORLD_SIZE", "1")),
               "valid": evaluate(scorer, data, "valid") if data.valid else {},
               "test": evaluate(scorer, data, "test") if data.test else {}}
    torch.save(checkpoint(model, train_args=asdict(tcfg)), out / "model.pt")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    log.info("wrote %s: valid NDCG@10 %s, test NDCG@10 %s", out, metrics["valid"].get("ndcg@10"),
             metrics["test"].get("ndcg@10"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
