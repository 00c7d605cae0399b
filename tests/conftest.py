"""Suite-wide fixtures: a real SeaweedFS S3 per test session, on free ports.

PostgreSQL and Redis are the machine's own (see config/settings/test.py);
object storage is started here so that tests never touch a developer's data.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from django.conf import settings

WEED = shutil.which("weed") or str(Path(__file__).resolve().parent.parent / ".venv/bin/weed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _weed_port_flags() -> tuple[list[str], int]:
    names = [
        "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
        "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc",
        "admin.port", "admin.port.grpc",
    ]  # fmt: skip
    ports = {name: free_port() for name in names}
    flags = [f"-{name}={port}" for name, port in ports.items()]
    return flags + ["-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false"], ports["s3.port"]


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """Start `weed mini` with auth on, point the settings at it, and yield its endpoint."""
    data_dir = tmp_path_factory.mktemp("seaweedfs")
    access_key, secret_key = "test-access-key", "test-secret-key"
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    flags, s3_port = _weed_port_flags()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
    log = open(data_dir / "weed.log", "wb")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen(
        [
            WEED, "mini", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", f"-bucket={bucket}", *flags,
        ],  # fmt: skip
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{s3_port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            client.head_bucket(Bucket=bucket)
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    "SeaweedFS did not start: " + (data_dir / "weed.log").read_text()[-2000:]
                ) from None
            time.sleep(0.3)
    overrides = {
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_PUBLIC_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
    }
    for name, value in overrides.items():
        setattr(settings, name, value)
    settings.STORAGES["default"]["OPTIONS"].update(
        endpoint_url=endpoint, access_key=access_key, secret_key=secret_key
    )
    # Subprocesses started by tests (Celery workers, manage.py) see the same store.
    os.environ.update(overrides)
    yield {"endpoint": endpoint, "client": client, "bucket": bucket, "data_dir": data_dir}
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
    log.close()


@pytest.fixture
def s3(seaweedfs):
    """The boto3 client of the test SeaweedFS."""
    return seaweedfs["client"]
