"""HTTPS to AWS: the factory's clients read the CA bundle once, and still verify every certificate and host name."""
from __future__ import annotations

from pathlib import Path

import os

import botocore.exceptions
import certifi
import pytest
from botocore.config import Config

from devtools.tls import CannedEndpoint, authority, server_files
from ecr_usage_report.aws.clients import ClientFactory, new_session

CONNECTION_REFUSED = (botocore.exceptions.SSLError, botocore.exceptions.EndpointConnectionError)


@pytest.fixture
def trusted(tmp_path, monkeypatch):
    """A CA in a bundle as large as botocore's (certifi's plus it), named by AWS_CA_BUNDLE."""
    ca = authority()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + ca.pem)
    for name in ("AWS_ENDPOINT_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    return ca, bundle


def ecs_at(url: str, monkeypatch, region: str):
    """A new factory's ECS client for the endpoint at `url`, trying once (a refused connection is not retried)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    factory = ClientFactory(new_session(), workers=2)
    factory.config = factory.config.merge(Config(retries={"mode": "standard", "max_attempts": 1}))
    return factory.get("ecs", region)


def test_clients_read_the_ca_bundle_once_and_still_verify_against_it(trusted, tmp_path, monkeypatch):
    # urllib3 reads botocore's bundle (100+ certificates, tens of ms of CPU) into every connection it opens;
    # the factory's clients hold it read once. Spoiling the file's bytes in place, its size and time kept, after
    # the first connection shows it is not read again: new clients in other regions still verify the server.
    ca, bundle = trusted
    with CannedEndpoint(server_files(ca, tmp_path)) as endpoint:
        assert ecs_at(endpoint.url(), monkeypatch, "us-east-1").list_clusters()["clusterArns"] == []
        before = bundle.stat()
        with open(bundle, "r+b") as file:
            file.write(b"x" * before.st_size)
        os.utime(bundle, ns=(before.st_atime_ns, before.st_mtime_ns))
        for region in ("eu-west-1", "ap-northeast-2"):
            assert ecs_at(endpoint.url(), monkeypatch, region).list_clusters()["clusterArns"] == []


def test_a_rewritten_bundle_is_read_again_for_new_clients(trusted, tmp_path, monkeypatch):
    # A CA rotated out of the bundle is no longer trusted by the clients built after, and one rotated in is.
    old, bundle = trusted
    new = authority("rotated in")
    with CannedEndpoint(server_files(old, tmp_path)) as retired, CannedEndpoint(server_files(new, tmp_path)) as current:
        assert ecs_at(retired.url(), monkeypatch, "us-east-1").list_clusters()["clusterArns"] == []
        bundle.write_bytes(Path(certifi.where()).read_bytes() + new.pem)
        os.utime(bundle, ns=(bundle.stat().st_atime_ns, bundle.stat().st_mtime_ns + 10**9))  # a coarse clock's tick
        with pytest.raises(CONNECTION_REFUSED, match="CERTIFICATE_VERIFY_FAILED"):
            ecs_at(retired.url(), monkeypatch, "eu-west-1").list_clusters()
        assert ecs_at(current.url(), monkeypatch, "eu-west-2").list_clusters()["clusterArns"] == []


def test_a_certificate_the_bundle_does_not_vouch_for_is_refused(trusted, tmp_path, monkeypatch):
    ca, _ = trusted
    stranger = authority("not in the bundle")
    with CannedEndpoint(server_files(ca, tmp_path)) as good, CannedEndpoint(server_files(stranger, tmp_path)) as bad:
        assert ecs_at(good.url(), monkeypatch, "us-east-1").list_clusters()["clusterArns"] == []
        with pytest.raises(CONNECTION_REFUSED, match="CERTIFICATE_VERIFY_FAILED"):
            ecs_at(bad.url(), monkeypatch, "us-east-1").list_clusters()


def test_a_certificate_for_another_host_name_is_refused(trusted, tmp_path, monkeypatch):
    # The server's certificate names 127.0.0.1; reached as localhost, it is not that host's.
    ca, _ = trusted
    with CannedEndpoint(server_files(ca, tmp_path)) as endpoint:
        assert ecs_at(endpoint.url(), monkeypatch, "us-east-1").list_clusters()["clusterArns"] == []
        with pytest.raises(CONNECTION_REFUSED, match="(?i)hostname|match"):
            ecs_at(endpoint.url("localhost"), monkeypatch, "us-east-1").list_clusters()


def test_a_bundle_that_is_not_one_leaves_the_call_to_fail_with_botocore_s_own_error(trusted, tmp_path, monkeypatch):
    # The factory still builds the client; its call fails as botocore's would, naming the bundle's error.
    ca, bundle = trusted
    bundle.write_text("not a certificate\n")
    with CannedEndpoint(server_files(ca, tmp_path)) as endpoint:
        client = ecs_at(endpoint.url(), monkeypatch, "us-east-1")
        with pytest.raises(CONNECTION_REFUSED):
            client.list_clusters()
