"""The container and Kubernetes files as the tests read them: Dockerfile, .dockerignore and manifests/k8s."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser
from pydantic import AliasChoices

from bot.settings import Settings
from bot.settings.sources import group_model

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "manifests" / "k8s"
# Kubernetes versions whose API schemas (bundled by kubernetes-validate) every manifest must satisfy: the newest
# the package knows, and an older one still offered by the managed services.
KUBERNETES_VERSIONS = ("1.33", "1.37")
# Applied by hand, so deliberately missing from kustomization.yaml.
NOT_IN_KUSTOMIZATION = {"secret.example.yaml", "job-kb-sync.yaml"}

Manifest = dict[str, Any]


@cache
def manifests() -> dict[str, tuple[Manifest, ...]]:
    """Every Kubernetes object in manifests/k8s, by file name (kustomization.yaml is kustomize's, not the API's)."""
    found: dict[str, tuple[Manifest, ...]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            found[path.name] = tuple(doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)
    return found


def kustomization() -> Manifest:
    loaded = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def one(kind: str) -> Manifest:
    """The single object of this kind (fails the test if there are none or several)."""
    [found] = [doc for docs in manifests().values() for doc in docs if doc["kind"] == kind]
    return found


def workloads() -> dict[str, Manifest]:
    """The pod specs of the Deployment and the Job, by the workload's name."""
    return {doc["metadata"]["name"]: doc["spec"]["template"] for kind in ("Deployment", "Job") for doc in [one(kind)]}


def containers(pod_template: Manifest) -> list[Manifest]:
    """Init containers and containers of a pod template."""
    spec = pod_template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def configmap_data() -> dict[str, str]:
    data: dict[str, str] = one("ConfigMap")["data"]
    return data


def bot_container() -> Manifest:
    [container] = one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def settings_env_fields() -> dict[str, str]:
    """Every environment variable Settings reads, mapped to its setting's name without the prefix (ldap_url):
    HELPDESK_<FIELD>, HELPDESK_<GROUP>_<FIELD>, and the platform names (SLACK_BOT_TOKEN) a field also accepts."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names: dict[str, str] = {}
    for field, info in Settings.model_fields.items():
        group = group_model(info.annotation)
        if group is None:
            names[f"{prefix}{field}".upper()] = field
            continue
        for sub, sub_info in group.model_fields.items():
            key = f"{field}_{sub}"
            names[f"{prefix}{key}".upper()] = key
            alias = sub_info.validation_alias
            choices = alias.choices if isinstance(alias, AliasChoices) else []
            names.update({choice: key for choice in choices if isinstance(choice, str) and choice.isupper()})
    return names


def env_names_mentioned(text: str) -> set[str]:
    """Names in a text that look like the bot's variables (HELPDESK_…, SLACK_…, TEAMS_…)."""
    return set(re.findall(r"\b(?:HELPDESK|SLACK|TEAMS)_[A-Z0-9_]*[A-Z0-9]\b", text))


def k8s_quantity(value: str | int) -> float:
    """A Kubernetes resource quantity ("500m", "1280Mi", "2Gi", "2") as a number of cores or bytes."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match, f"not a quantity: {value!r}"
    number, unit = match.groups()
    return float(number) * (units[unit] if unit else 1)


@cache
def dockerfile() -> DockerfileParser:
    return DockerfileParser(path=str(ROOT / "Dockerfile"))


def stages() -> list[list[dict[str, Any]]]:
    """The Dockerfile's instructions split by FROM, each with its ARG and ENV values at that line."""
    parser = dockerfile()
    split: list[list[dict[str, Any]]] = []
    for instruction, context in zip(parser.structure, parser.context_structure, strict=True):
        if instruction["instruction"] == "FROM":
            split.append([])
        if split and instruction["instruction"] != "COMMENT":
            split[-1].append({**instruction, "args": context.args, "envs": context.envs})
    return split


def instructions(name: str, stage: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Instructions of one kind, in the given stage or the whole file."""
    pool = stage if stage is not None else [i for s in stages() for i in s]
    return [i for i in pool if i["instruction"] == name]


def expand(instruction: dict[str, Any]) -> str:
    """The instruction's value with ${VAR} / $VAR replaced by the ARG and ENV values in force there."""
    values = {**instruction["args"], **instruction["envs"]}
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m[1] or m[2], m[0]), instruction["value"])


def exec_form(value: str) -> list[str]:
    """A JSON-array instruction value (ENTRYPOINT, CMD, HEALTHCHECK … CMD) as a list."""
    parsed = json.loads(value)
    assert isinstance(parsed, list), value
    assert all(isinstance(part, str) for part in parsed), value
    return parsed


def healthcheck_command() -> list[str]:
    [healthcheck] = instructions("HEALTHCHECK", stages()[-1])
    _options, command = healthcheck["value"].split(" CMD ", 1)
    return exec_form(command)


def copy_sources(instruction: dict[str, Any]) -> list[str]:
    """The build-context paths a COPY takes (none for COPY --from=<stage>)."""
    words = shlex.split(instruction["value"])
    if any(word.startswith("--from=") for word in words):
        return []
    paths = [word for word in words if not word.startswith("--")]
    return paths[:-1]


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (Docker's rules, as far as its patterns need:
    the last matching pattern wins, `!` re-includes, a matched folder takes its contents along, `**/` is any
    depth including none)."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        candidates = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
        if any(fnmatch.fnmatchcase(prefix, candidate) for prefix in prefixes for candidate in candidates):
            ignored = not negated
    return ignored
