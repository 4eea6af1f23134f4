"""The Dockerfile and the Kubernetes manifests, checked against the Kubernetes API schemas and against the bot itself.

No cluster and no Docker engine run here, so these read the files: every manifest must be a valid object of the
Kubernetes versions in KUBERNETES_VERSIONS, and everything that names the bot (variables, ports, commands, the
user id, the torch pin) must agree with the code. tests/scenarios/test_container_probes.py sends the probes to a
running bot.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import typer
from packaging.specifiers import SpecifierSet

from bot.__main__ import app as cli
from bot.settings import Settings
from tests.support.deployment_files import (
    K8S,
    KUBERNETES_VERSIONS,
    NOT_IN_KUSTOMIZATION,
    ROOT,
    bot_container,
    configmap_data,
    containers,
    copy_sources,
    dockerfile,
    dockerignored,
    env_names_mentioned,
    exec_form,
    expand,
    healthcheck_command,
    instructions,
    k8s_quantity,
    kustomization,
    manifests,
    one,
    settings_env_fields,
    stages,
    workloads,
)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Measured with `helpdesk-bot run` on the starter articles: about 1.0 GB resident once the model is loaded.
MODEL_RSS_BYTES = 1.0e9
# Variables read by libraries rather than by Settings, and where their value must come from.
LIBRARY_ENV = {"OMP_NUM_THREADS": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}}

OBJECTS = [
    pytest.param(doc, version, id=f"{name}:{doc['kind']}@{version}")
    for name, docs in manifests().items()
    for doc in docs
    for version in KUBERNETES_VERSIONS
]


def data_dir() -> Path:
    return Path(configmap_data()["HELPDESK_DATA_DIR"])


def cli_commands(args: Sequence[str] = ()) -> dict[str, Any]:
    """The subcommands under `helpdesk-bot <args>` (KeyError if a word is not a command)."""
    command: Any = typer.main.get_command(cli)
    for word in args:
        command = command.commands[word]
    commands: dict[str, Any] = getattr(command, "commands", {})
    return commands


def is_cli_command(args: list[str]) -> bool:
    """Whether `helpdesk-bot <args>` names a command (not a group, not nothing)."""
    *group, name = args
    try:
        found = cli_commands(group).get(name)
    except KeyError:
        return False
    return found is not None and not hasattr(found, "commands")


# --- Kubernetes schemas -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("manifest", "version"), OBJECTS)
def test_every_manifest_is_a_valid_object_of_the_kubernetes_api(manifest: dict[str, Any], version: str) -> None:
    # Strict: a field the API does not know (a typo such as readonlyRootFilesystem) is an error, not ignored.
    kubernetes_validate.validate(manifest, version, strict=True)


def test_a_misspelt_field_is_caught_by_the_schema_check() -> None:
    deployment = copy.deepcopy(one("Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readonlyRootFilesystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_kustomization_applies_every_manifest_except_the_template_and_the_job() -> None:
    listed = set(kustomization()["resources"])
    assert listed == set(manifests()) - NOT_IN_KUSTOMIZATION
    assert set(manifests()) >= NOT_IN_KUSTOMIZATION


def test_manifests_name_no_namespace() -> None:
    # Applied with -n or a kustomize overlay, wherever the operator chooses.
    assert [name for name, docs in manifests().items() for doc in docs if "namespace" in doc["metadata"]] == []


# --- Variables --------------------------------------------------------------------------------------------------


def test_every_variable_the_manifests_set_is_a_setting_of_the_bot() -> None:
    settings = settings_env_fields()
    secret = one("Secret")
    set_by_files = {*configmap_data(), *secret.get("stringData", {}), *secret.get("data", {})}
    assert sorted(set_by_files - settings.keys()) == []
    for name, pod in workloads().items():
        for container in containers(pod):
            for variable in container.get("env", []):
                if variable["name"] in LIBRARY_ENV:
                    assert variable.get("valueFrom") == LIBRARY_ENV[variable["name"]], (name, variable)
                else:
                    assert variable["name"] in settings, (name, container["name"], variable["name"])


def test_no_file_mentions_a_variable_the_bot_does_not_read() -> None:
    # Comments and the README included: a misspelt name there gets copied into somebody's cluster.
    files = [ROOT / "Dockerfile", *sorted(K8S.iterdir())]
    mentioned = {(path.name, name) for path in files for name in env_names_mentioned(path.read_text("utf-8"))}
    assert mentioned, "expected the files to name the bot's variables"
    assert sorted((file, name) for file, name in mentioned if name not in settings_env_fields()) == []


def test_the_configmap_is_a_configuration_the_bot_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    # E.g. HELPDESK_HOST=0.0.0.0 with the default HELPDESK_WEB_AUTH=none would stop every pod at start-up.
    for name in settings_env_fields():
        monkeypatch.delenv(name, raising=False)
    for name, value in configmap_data().items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.host == "0.0.0.0"
    assert settings.chroma.url, "replicas share the vectors through a Chroma server"


def test_several_replicas_get_shared_state_and_a_shared_database() -> None:
    secret = one("Secret")["stringData"]
    assert secret["HELPDESK_REDIS_URL"].startswith(("redis://", "rediss://"))
    assert secret["HELPDESK_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "HELPDESK_CHROMA_URL" in configmap_data()


def test_the_secret_template_holds_placeholders_only() -> None:
    secret = one("Secret")
    assert "data" not in secret, "base64 values hide what they are; the template uses stringData"
    assert {key: value for key, value in secret["stringData"].items() if not re.search(r"<[^<>]+>", value)} == {}


def test_every_container_reads_the_configmap_and_the_app_containers_the_secret() -> None:
    # The Job's kb sync and the bot both find the Chroma server through the same ConfigMap; the schema upgrade and
    # the bot need the database URL from the Secret.
    configmap, secret = one("ConfigMap")["metadata"]["name"], one("Secret")["metadata"]["name"]
    for name, pod in workloads().items():
        for container in containers(pod):
            sources = container["envFrom"]
            assert [s["configMapRef"]["name"] for s in sources if "configMapRef" in s] == [configmap], name
            secrets = [s["secretRef"]["name"] for s in sources if "secretRef" in s]
            assert secrets == ([] if container["args"] == ["kb", "sync"] else [secret]), (name, container["name"])


# --- Ports, probes, commands ------------------------------------------------------------------------------------


def test_one_port_everywhere() -> None:
    [port] = bot_container()["ports"]
    default = Settings.model_fields["port"].default
    assert port["containerPort"] == default == int(configmap_data()["HELPDESK_PORT"])
    assert dockerfile().envs["HELPDESK_PORT"] == str(default)
    assert [i["value"] for i in instructions("EXPOSE", stages()[-1])] == [str(default)]
    [service_port] = one("Service")["spec"]["ports"]
    assert service_port["targetPort"] in (port["name"], port["containerPort"])
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert bot_container()[probe]["httpGet"]["port"] in (port["name"], port["containerPort"])


def test_liveness_asks_if_the_process_is_up_and_readiness_if_it_can_answer() -> None:
    container = bot_container()
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60, "the model takes seconds to load"


def test_the_image_runs_the_bot_and_the_pods_run_real_commands() -> None:
    [entrypoint] = instructions("ENTRYPOINT", stages()[-1])
    [cmd] = instructions("CMD", stages()[-1])
    assert [*exec_form(entrypoint["value"]), *exec_form(cmd["value"])] == ["helpdesk-bot", "run"]
    assert PYPROJECT["project"]["scripts"]["helpdesk-bot"] == "bot.__main__:main"
    for name, pod in workloads().items():
        for container in containers(pod):
            assert "command" not in container, f"{name}/{container['name']} would bypass the entry point"
            if container["args"][0] == "db" and "db" not in cli_commands():
                pytest.skip("`helpdesk-bot db upgrade` is not in this tree yet")
            assert is_cli_command(container["args"]), f"{name}/{container['name']}: {container['args']}"


def test_the_schema_is_upgraded_before_the_bot_starts() -> None:
    [init] = one("Deployment")["spec"]["template"]["spec"]["initContainers"]
    assert init["args"] == ["db", "upgrade"]
    assert init["image"] == bot_container()["image"]


# --- Hardening and sizes ----------------------------------------------------------------------------------------


def image_user() -> tuple[int, int]:
    users = instructions("USER")
    last_user = users[-1]
    assert last_user in stages()[-1], "the final stage must set the user"
    uid, _, gid = last_user["value"].partition(":")
    assert uid.isdigit(), "numeric, or Kubernetes cannot check runAsNonRoot"
    assert gid.isdigit(), "numeric, or Kubernetes cannot check runAsNonRoot"
    return int(uid), int(gid)


@pytest.mark.parametrize("workload", sorted(workloads()))
def test_pods_run_unprivileged_as_the_images_user(workload: str) -> None:
    pod = workloads()[workload]["spec"]
    uid, gid = image_user()
    assert uid != 0
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert (security["runAsUser"], security["runAsGroup"], security["fsGroup"]) == (uid, gid, gid)
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for container in containers(workloads()[workload]):
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }, container["name"]


@pytest.mark.parametrize("workload", sorted(workloads()))
def test_what_the_bot_writes_is_on_volumes(workload: str) -> None:
    # Measured (strace on `helpdesk-bot run`): the data dir, and the temporary dir (ONNX export, torch's cache).
    assert dockerfile().envs["HELPDESK_DATA_DIR"] == str(data_dir())
    for container in containers(workloads()[workload]):
        mounted = {mount["mountPath"] for mount in container["volumeMounts"]}
        assert {str(data_dir()), "/tmp"} <= mounted, container["name"]


def test_the_kb_sync_job_fills_the_chroma_server_that_the_replicas_read() -> None:
    # With a Chroma server the server holds the only copy of the index, so the Job and the replicas need no shared
    # volume: nothing in any pod outlives it.
    [job] = one("Job")["spec"]["template"]["spec"]["containers"]
    assert job["args"] == ["kb", "sync"]
    assert configmap_data()["HELPDESK_CHROMA_URL"].startswith(("http://", "https://"))
    volumes = [volume for pod in workloads().values() for volume in pod["spec"]["volumes"]]
    assert [volume["name"] for volume in volumes if "emptyDir" not in volume] == []


def test_one_image_for_the_bot_the_upgrade_and_the_sync() -> None:
    images = {c["image"] for pod in workloads().values() for c in containers(pod)}
    [image] = images
    assert image.rsplit(":", 1)[1] == PYPROJECT["project"]["version"]


def test_requests_and_limits_fit_the_measured_footprint() -> None:
    for pod in workloads().values():
        for container in containers(pod):
            resources = container["resources"]
            for kind in ("cpu", "memory"):
                request, limit = resources["requests"][kind], resources["limits"][kind]
                assert k8s_quantity(request) <= k8s_quantity(limit), (container["name"], kind)
    bot = bot_container()["resources"]
    assert k8s_quantity(bot["requests"]["memory"]) >= MODEL_RSS_BYTES
    assert k8s_quantity(bot["limits"]["memory"]) >= 1.5 * MODEL_RSS_BYTES, "room for a larger index"


def test_rollouts_and_drains_keep_a_replica_serving() -> None:
    deployment = one("Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    [_sleep, seconds] = bot_container()["lifecycle"]["preStop"]["exec"]["command"]
    assert 0 < int(seconds) < pod["terminationGracePeriodSeconds"]
    budget = one("PodDisruptionBudget")["spec"]
    assert 1 <= budget["minAvailable"] < spec["replicas"]


def test_service_budget_and_autoscaler_point_at_the_bots_pods_only() -> None:
    deployment = one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    job_labels = one("Job")["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Service": one("Service")["spec"]["selector"],
        "PodDisruptionBudget": one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        "Deployment": deployment["spec"]["selector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        assert selector.items() <= labels.items(), kind
        assert not selector.items() <= job_labels.items(), f"the {kind} would select the kb-sync Job's pod"
    autoscaler = one("HorizontalPodAutoscaler")["spec"]
    assert autoscaler["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert autoscaler["minReplicas"] >= 2
    assert autoscaler["minReplicas"] <= deployment["spec"]["replicas"] <= autoscaler["maxReplicas"]
    assert [m["resource"]["name"] for m in autoscaler["metrics"]] == ["cpu"]
    # CPU utilisation is a share of the request: every container of the pod needs one.
    assert all("cpu" in c["resources"]["requests"] for c in containers(deployment["spec"]["template"]))


# --- Dockerfile ---------------------------------------------------------------------------------------------------


def test_the_image_is_built_in_stages_on_the_projects_python() -> None:
    parents = dockerfile().parent_images
    assert len(stages()) >= 2
    assert len(parents) == len(stages())
    assert any(i["value"].startswith("--from=") for i in instructions("COPY", stages()[-1]))
    target = PYPROJECT["tool"]["mypy"]["python_version"]
    for parent in parents:
        match = re.fullmatch(r"python:(\d+\.\d+)-slim(?:-\w+)?", parent)
        assert match, f"{parent}: expected the slim Python image"
        assert match[1] == target
        assert match[1] in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_cpu_torch_is_installed_first_and_pinned_like_the_makefile() -> None:
    [makefile_pin] = re.findall(r"torch==([\w.+]+)", (ROOT / "Makefile").read_text(encoding="utf-8"))
    runs = [expand(run) for run in instructions("RUN", stages()[0])]
    [torch_step] = [i for i, run in enumerate(runs) if "torch==" in run]
    [project_step] = [i for i, run in enumerate(runs) if re.search(r"pip install \.(\s|$)", run)]
    assert re.findall(r"torch==([\w.+]+)", runs[torch_step]) == [makefile_pin]
    assert re.search(r"--index-url\W+https://download\.pytorch\.org/whl/cpu\b", runs[torch_step])
    assert torch_step < project_step, "installed after the project, pip would choose torch (with CUDA) itself"


def test_the_image_stays_offline_and_quiet() -> None:
    envs = dockerfile().envs  # the final stage's
    assert {name: envs.get(name) for name in ("HF_HUB_OFFLINE", "ORT_DISABLE_TELEMETRY", "TOKENIZERS_PARALLELISM")} == {
        "HF_HUB_OFFLINE": "1",
        "ORT_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }


def test_the_image_ends_as_a_non_root_user_with_a_healthcheck_on_healthz() -> None:
    uid, _gid = image_user()
    assert uid != 0
    final = stages()[-1]
    assert final.index(instructions("USER", final)[-1]) > final.index(instructions("RUN", final)[-1])
    command = healthcheck_command()
    assert command[0] == "python", "the slim image has no curl"
    assert "/healthz" in command[-1]


def test_every_copied_path_is_in_the_repository_and_in_the_build_context() -> None:
    sources = [source for copy_step in instructions("COPY") for source in copy_sources(copy_step)]
    assert sources
    assert [s for s in sources if not (ROOT / s).exists()] == []
    assert [s for s in sources if dockerignored(s)] == []


def test_the_build_context_leaves_out_local_state_and_caches() -> None:
    assert [
        p for p in (".git", ".venv", "var", ".env", "tests", "bot/__pycache__", ".pytest_cache") if not dockerignored(p)
    ] == []
