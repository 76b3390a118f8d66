"""Files in S3 (moto locally): presigned upload/download links, ranged reads."""

from __future__ import annotations

import functools

from chalicelib.config import get_settings


@functools.lru_cache(maxsize=1)
def _s3():
    import boto3
    from botocore.config import Config

    s = get_settings()
    return boto3.client(
        "s3", region_name=s.region, endpoint_url=s.aws_endpoint, config=Config(signature_version="s3v4")
    )


class S3Objects:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def upload_url(self, key: str, content_type: str, expires: int = 900) -> str:
        return _s3().generate_presigned_url(
            "put_object", ExpiresIn=expires, Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type}
        )

    def download_url(self, key: str, expires: int = 900) -> str:
        return _s3().generate_presigned_url("get_object", ExpiresIn=expires, Params={"Bucket": self.bucket, "Key": key})

    def size(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return _s3().head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError:
            return None

    def read(self, key: str, start: int, length: int) -> bytes:
        body = _s3().get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")["Body"]
        return body.read()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        _s3().put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ServerSideEncryption="AES256"
        )
