# Speech translation that keeps your voice: UI + REST API on port 7860.
FROM python:3.12-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

# Hugging Face Docker Spaces run the container as uid 1000.
RUN useradd -m -u 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False \
    APP_DATA_DIR=/data
WORKDIR $HOME/app

# torch's CPU build first (the quality report's speaker encoder needs no GPU; PyPI's default
# Linux wheel brings several GB of CUDA libraries), then everything else.
COPY --chown=user requirements.txt .
COPY --chown=user packaging ./packaging
RUN pip install --no-cache-dir --user torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir --user -r requirements.txt

COPY --chown=user . .

USER root
RUN mkdir -p /data && chown user:user /data
USER user
VOLUME /data

EXPOSE 7860
CMD ["python", "app.py"]
