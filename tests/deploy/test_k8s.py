"""deploy/k8s.yaml and deploy/Dockerfile held to the CLI they run: the arguments are
ones `serve` takes, the probes ask /healthz and /readyz on the port it listens on, the
grace period covers the preStop pause, --drain-delay and --shutdown-grace, and the
autoscaler scales the Deployment on CPU. Probes and scrapes go to the admin listener
(`--admin-port`), which the Service leaves out."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from twisted_host.cli import serve

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _serve_args(argv: list[str]) -> dict[str, Any]:
    """What `twistbridge serve ARGS` would run with (defaults filled in); fails on a
    flag `serve` does not take."""
    assert argv[0] == "serve"
    ctx = serve.make_context("serve", list(argv[1:]))
    return dict(ctx.params)


def _manifests() -> dict[str, dict[str, Any]]:
    with (DEPLOY / "k8s.yaml").open() as text:
        return {doc["kind"]: doc for doc in yaml.safe_load_all(text)}


def test_the_deployment_agrees_with_the_cli() -> None:
    deployment = _manifests()["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    params = _serve_args(container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": params["port"], "admin": params["admin_port"]}
    assert params["host"] == params["admin_host"] == "0.0.0.0"  # the pod's address
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(params["admin_port"])
    assert annotations["prometheus.io/path"] == "/metrics"
    probes = {
        kind: (container[kind]["httpGet"]["path"], container[kind]["httpGet"]["port"])
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes == {
        "startupProbe": ("/healthz", "admin"),
        "livenessProbe": ("/healthz", "admin"),
        "readinessProbe": ("/readyz", "admin"),
    }
    # One worker per core asked for.
    assert params["workers"] == int(container["resources"]["requests"]["cpu"])


def test_the_grace_period_covers_the_drain() -> None:
    pod = _manifests()["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    params = _serve_args(container["args"])
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    drain = float(command[1]) + params["drain_delay"] + params["shutdown_grace"]
    # Enough to finish, and not so much that a stuck pod lingers.
    assert drain < pod["terminationGracePeriodSeconds"] <= drain + 10


def test_service_and_autoscaler_point_at_the_deployment() -> None:
    manifests = _manifests()
    deployment, service = manifests["Deployment"], manifests["Service"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"] == labels
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "http"
    hpa = manifests["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    (metric,) = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert hpa["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["maxReplicas"]


def test_the_image_runs_serve_as_a_user_with_a_health_check() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim$", text, re.MULTILINE)
    user = re.search(r"^USER (\S+)$", text, re.MULTILINE)
    assert user is not None and user[1] not in {"root", "0"}
    cmd = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert cmd is not None
    argv = json.loads(cmd[1])
    assert argv[0] == "twistbridge"
    params = _serve_args(argv[1:])
    assert f"EXPOSE {params['port']}" in text
    health = re.search(r"^\s+CMD (\[.*\])$", text, re.MULTILINE)
    assert health is not None and "HEALTHCHECK" in text
    assert f"http://127.0.0.1:{params['admin_port']}/healthz" in health[1]
    assert params["admin_host"] == "127.0.0.1"  # a container's own check: loopback
