"""Creates the media bucket described in infra/media.json (its one definition) in the S3
stand-in: the same public access block, encryption, lifecycle and CORS rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MEDIA = Path(__file__).resolve().parent.parent / "infra" / "media.json"


def media_bucket_properties() -> dict[str, Any]:
    template = json.loads(MEDIA.read_text(encoding="utf-8"))
    return dict(template["Resources"]["MediaBucket"]["Properties"])


def create_media_bucket(client: Any, name: str, region: str, public_origin: str) -> None:
    props = media_bucket_properties()
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    client.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    client.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
         "BucketKeyEnabled": rule.get("BucketKeyEnabled", False)}
        for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]})
    rules = []
    for rule in props["LifecycleConfiguration"]["Rules"]:
        api_rule: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"],
                                    "Filter": {"Prefix": rule.get("Prefix", "")}}
        if "ExpirationInDays" in rule:
            api_rule["Expiration"] = {"Days": rule["ExpirationInDays"]}
        if "AbortIncompleteMultipartUpload" in rule:
            api_rule["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        rules.append(api_rule)
    client.put_bucket_lifecycle_configuration(Bucket=name,
                                              LifecycleConfiguration={"Rules": rules})
    client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
        {"ID": rule["Id"], "AllowedMethods": rule["AllowedMethods"],
         "AllowedOrigins": [public_origin if o == "freigabe:public-origin" else o
                            for o in rule["AllowedOrigins"]],
         "AllowedHeaders": rule["AllowedHeaders"], "MaxAgeSeconds": rule["MaxAge"]}
        for rule in props["CorsConfiguration"]["CorsRules"]]})
