"""One run: the Hydra task a job enters (`hydra_task`), the run's story from its folder to its
record (`runner`), Lightning training (`training`, `callbacks`, `lightning_overhead`),
checkpoints and signals (`checkpointing`), the run lock (`lock`), DDP ranks (`distributed`,
`rank_worker`), loggers and W&B sync, the progress line, and `repro check`."""
