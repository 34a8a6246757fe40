"""deploy/k8s (made by scaleout.manifests from deploy/values.yaml) is current and passes
deploy/validate, the offline check against the Kubernetes API's Go types; the validator
refuses each kind of mistake it claims to catch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from scaleout import manifests

FORK = "- name: FORK\n          value: '1'\n"
LITERAL = "        - name: JWT_SECRET\n          value: hunter2\n"
REST_SELECTOR = "  selector:\n    app.kubernetes.io/name: rest\n  ports"
MISTAKES = {
    # A typo'd field: the API server would refuse (or silently drop) it.
    "unknown field": ("subgraph-deals.yaml", "  replicas: 2\n", "  replica: 2\n",
                      'unknown field "replica"'),
    "secret as a literal": ("router.yaml", FORK, FORK + LITERAL,
                            "JWT_SECRET must come from a secretKeyRef"),
    "probe on a closed port": ("rest.yaml", "            path: /readyz\n            port: http\n",
                               "            path: /readyz\n            port: 9999\n",
                               "probe /readyz on port 9999"),
    "no requests": ("worker.yaml", "          requests:\n            cpu: 250m\n",
                    "          requests:\n            cpu: '0'\n", "no CPU or memory request"),
    "service selects nothing": ("rest.yaml", REST_SELECTOR, REST_SELECTOR.replace("rest", "resty"),
                                "Service rest: selects no Deployment's pods"),
    "bad quantity": ("router.yaml", "memory: 512Mi", "memory: 512 MB", "quantities must match"),
}  # fmt: skip


def test_checked_in_manifests_are_made_from_values() -> None:
    assert manifests.main(["--check"]) == 0


def test_checked_in_manifests_pass_the_validator() -> None:
    verdict = manifests.validate()
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "ok: 9 deployments, 8 services, 7 autoscalers, 9 disruption budgets" in verdict.stdout


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_validator_refuses(mistake: str, tmp_path: Path) -> None:
    name, old, new, expected = MISTAKES[mistake]
    for path in manifests.OUT.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    text = (tmp_path / name).read_text()
    assert old in text, f"{mistake}: the fixture no longer matches {name}"
    (tmp_path / name).write_text(text.replace(old, new, 1))
    verdict = manifests.validate(tmp_path)
    assert verdict.returncode == 1 and expected in verdict.stdout, verdict.stdout


def test_a_checked_in_secret_is_refused(tmp_path: Path) -> None:
    for path in manifests.OUT.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "crmgraph-secrets"},
              "stringData": {"JWT_SECRET": "hunter2"}}  # fmt: skip
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump(secret))
    verdict = manifests.validate(tmp_path)
    assert verdict.returncode == 1 and "a Secret with values is checked in" in verdict.stdout


def test_probe_paths_come_from_the_values_file(tmp_path: Path) -> None:
    values = yaml.safe_load(manifests.VALUES.read_text())
    for kind in values["probes"].values():
        kind.update(readiness="/ready-elsewhere", liveness="/live-elsewhere")
    files = manifests.render(values)
    probes = [
        (c["readinessProbe"]["httpGet"]["path"], c["livenessProbe"]["httpGet"]["path"])
        for objects in files.values() for o in objects if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"] if "ports" in c
    ]  # fmt: skip
    # Every Deployment's probes are the values file's (the worker's on its health listener).
    assert len(probes) == 9 and set(probes) == {("/ready-elsewhere", "/live-elsewhere")}
