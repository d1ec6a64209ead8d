# repro on a CUDA machine. Not built in CI (no Docker engine there); kept minimal on purpose.
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 WANDB_MODE=offline
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3.11 python3.11-venv python3-pip git \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /repro
COPY . .
# torch from constraints.txt first (on PyPI the Linux wheel is the CUDA build), then repro.
RUN python3.11 -m venv .venv \
    && .venv/bin/pip install -c constraints.txt torch \
    && .venv/bin/pip install -c constraints.txt -e '.[dev]'
# Records go to ./results (/repro/results), data to $REPRO_DATA_DIR: mount volumes on both to keep them.
ENV PATH=/repro/.venv/bin:$PATH REPRO_DATA_DIR=/data
ENTRYPOINT ["repro"]
CMD ["papers"]
