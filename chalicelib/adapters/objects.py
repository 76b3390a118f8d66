"""Files in S3 (moto locally): presigned upload/download links, ranged reads."""

from __future__ import annotations


def _s3():
    from chalicelib.adapters.aws import s3_client

    return s3_client()


class S3Objects:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def upload_url(self, key: str, content_type: str, expires: int = 900) -> str:
        return _s3().generate_presigned_url(
            "put_object", ExpiresIn=expires, Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type}
        )

    def upload_form(self, key: str, content_type: str, max_bytes: int, expires: int = 900) -> dict:
        """A presigned POST (an HTML form upload): S3 itself refuses a file of another key or
        Content-Type, an empty one or one larger than `max_bytes` (the policy's content-length-range)."""
        form = _s3().generate_presigned_post(
            self.bucket,
            key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires,
        )
        return {"url": form["url"], "fields": form["fields"]}

    def download_url(
        self, key: str, expires: int = 900, content_type: str | None = None, disposition: str | None = None
    ) -> str:
        params = {"Bucket": self.bucket, "Key": key}
        if content_type is not None:
            # Served as this type whatever the uploader declared (an upload's Content-Type is the client's word).
            params["ResponseContentType"] = content_type
        if disposition is not None:
            params["ResponseContentDisposition"] = disposition
        return _s3().generate_presigned_url("get_object", ExpiresIn=expires, Params=params)

    def size(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return _s3().head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError:
            return None

    def read(self, key: str, start: int, length: int) -> bytes:
        body = _s3().get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")["Body"]
        return body.read()

    def put(self, key: str, data: bytes, content_type: str, cache_control: str | None = None) -> None:
        extra = {"CacheControl": cache_control} if cache_control else {}
        _s3().put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ServerSideEncryption="AES256", **extra
        )
