"""The deployment files (deploy/, Dockerfile) validate offline and match the code they deploy."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import asyncpg
import kubernetes_validate
import pytest
import yaml

from bot.settings import Settings
from bot.tasks import TaskTracker
from bot.web import HEALTH_PATH, READY_PATH, Readiness, create_web_app
from storage.engine import create_engine
from tests.conftest import POSTGRES_ADMIN_URL
from tests.integration.test_cli import _free_port, _get_when_up, fake_slack_in_a_thread

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "kubernetes"
METRICS = BASE / "metrics"
# The oldest Kubernetes still supported upstream when this was written, and the newest the
# schemas know: the manifests use nothing newer than the first.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
# Custom resources have no schema in kubernetes-validate; test_the_service_monitor_... checks it.
CUSTOM_KINDS = {"ServiceMonitor"}
# Added by issue 19's metrics work (another branch): only the metrics component may name them.
METRICS_SETTINGS = {"METRICS_TOKEN", "LOG_FORMAT"}
SETTINGS = {name.upper() for name in Settings.model_fields}
PLACEHOLDER = re.compile(r"replace-me|change-me")
# PostgreSQL's defaults: max_connections, superuser_reserved_connections.
POSTGRES_MAX_CONNECTIONS = 100
POSTGRES_RESERVED = 3

Manifest = dict[str, Any]
Renderer = Callable[[Path, list[Path]], list[Manifest]]


def _kustomize(base: Path, components: list[Path]) -> list[Manifest]:
    """What `kubectl kustomize` (or `kustomize build`) renders: an overlay of base + components."""
    with tempfile.TemporaryDirectory() as folder:
        overlay = Path(folder)
        (overlay / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "resources": [os.path.relpath(base, overlay)],
                    "components": [os.path.relpath(c, overlay) for c in components],
                }
            )
        )
        kubectl = shutil.which("kubectl")
        command = [kubectl, "kustomize"] if kubectl else [str(shutil.which("kustomize")), "build"]
        result = subprocess.run(  # noqa: S603 - a local binary on our own files
            [*command, str(overlay)], capture_output=True, text=True, check=False, timeout=60
        )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _files(root: Path, components: list[Path]) -> list[Manifest]:
    """The objects the kustomization files list, loaded directly (no Kustomize on the
    machine): resources, generated ConfigMaps and Secrets (unhashed names); patches are not
    applied."""
    spec = yaml.safe_load((root / "kustomization.yaml").read_text())
    objects: list[Manifest] = []
    for entry in spec.get("resources", []):
        path = root / entry
        if path.is_dir():
            objects += _files(path, [])
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for component in components:
        objects += _files(component, [])
    for kind, generators in (
        ("ConfigMap", spec.get("configMapGenerator", [])),
        ("Secret", spec.get("secretGenerator", [])),
    ):
        for generator in generators:
            data: dict[str, str] = {}
            for name in generator.get("envs", []):
                data |= _env_file(root / name)
            field = "stringData" if kind == "Secret" else "data"
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": {
                        "name": generator["name"],
                        "labels": generator.get("options", {}).get("labels", {}),
                    },
                    field: data,
                }
            )
    return objects


def _env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as Kustomize and Compose read them (comments and blank lines skipped)."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def _has_kustomize() -> bool:
    return bool(shutil.which("kubectl") or shutil.which("kustomize"))


RENDERERS = [
    pytest.param(
        _kustomize,
        id="kustomize",
        marks=pytest.mark.skipif(not _has_kustomize(), reason="no kubectl or kustomize here"),
    ),
    pytest.param(_files, id="files"),
]


@pytest.fixture(scope="module")
def base() -> list[Manifest]:
    """The base as the cluster receives it (the files' own reading where no Kustomize runs)."""
    return _kustomize(BASE, []) if _has_kustomize() else _files(BASE, [])


@pytest.fixture(scope="module")
def with_metrics() -> list[Manifest]:
    """The base with the metrics component."""
    return _kustomize(BASE, [METRICS]) if _has_kustomize() else _files(BASE, [METRICS])


def _one(objects: list[Manifest], kind: str, name_start: str = "mfa-helpdesk") -> Manifest:
    found = [
        o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(name_start)
    ]
    assert len(found) == 1, [o["metadata"]["name"] for o in found]
    return found[0]


def _by_name(objects: list[Manifest], kind: str, name: str) -> Manifest:
    """The object a reference names (Kustomize rewrites references to generated names)."""
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _data(item: Manifest) -> dict[str, str]:
    """A ConfigMap's or Secret's values as text."""
    if item["kind"] == "Secret" and "data" in item:
        return {k: base64.b64decode(v).decode() for k, v in item["data"].items()}
    return dict(item.get("data") or item.get("stringData") or {})


def _pod(item: Manifest) -> Manifest:
    return cast(Manifest, item["spec"]["template"]["spec"])


def _containers(item: Manifest) -> list[Manifest]:
    pod = _pod(item)
    return [*pod.get("initContainers", []), *pod["containers"]]


def _environment(objects: list[Manifest], container: Manifest) -> dict[str, str]:
    """The variables a container starts with: its envFrom sources, then its env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        kind, ref = (
            ("ConfigMap", source["configMapRef"])
            if "configMapRef" in source
            else ("Secret", source["secretRef"])
        )
        env |= _data(_by_name(objects, kind, ref["name"]))
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get("value", "<from a Secret>")
    return env


@pytest.mark.parametrize("render", RENDERERS)
@pytest.mark.parametrize("components", [[], [METRICS]], ids=["base", "base+metrics"])
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_validates_against_the_kubernetes_schemas(
    render: Renderer, components: list[Path], version: str
) -> None:
    objects = render(BASE, components)
    kinds = sorted(o["kind"] for o in objects)
    expected = [
        "ConfigMap", "Deployment", "Job", "PodDisruptionBudget", "Secret", "Secret",
        "Service", "ServiceAccount",
    ]  # fmt: skip
    if components:
        expected = sorted([*expected, "Secret", "ServiceMonitor"])
    assert kinds == expected
    for item in objects:
        if item["kind"] in CUSTOM_KINDS:
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(item, version, strict=True)
            continue
        kubernetes_validate.validate(item, version, strict=True)


def test_the_validation_catches_a_misspelt_field(base: list[Manifest]) -> None:
    deployment = _one(base, "Deployment")
    _pod(deployment)["containers"][0]["readinessProbe"]["httpGet"]["paht"] = READY_PATH
    with pytest.raises(kubernetes_validate.ValidationError, match="paht"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


async def test_the_probes_ask_paths_the_app_serves_on_the_port_it_listens_on(
    base: list[Manifest],
) -> None:
    deployment = _one(base, "Deployment")
    (container,) = _pod(deployment)["containers"]
    probes = {
        kind: container[kind]["httpGet"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["readinessProbe"]["path"] == READY_PATH
    assert probes["livenessProbe"]["path"] == HEALTH_PATH
    assert probes["startupProbe"]["path"] == HEALTH_PATH
    (port,) = container["ports"]
    assert {probe["port"] for probe in probes.values()} == {port["name"]}
    port_setting = _environment(base, container)["PORT"]
    assert port["containerPort"] == int(port_setting) == Settings(port=port_setting).port

    async def ready() -> Readiness:
        return Readiness(True, "up")

    async def reachable() -> bool:
        return True

    app = create_web_app(cast(Any, None), None, reachable, ready, TaskTracker())
    served = {route.resource.canonical for route in app.router.routes() if route.method == "GET"}
    assert {HEALTH_PATH, READY_PATH} <= served


@pytest.mark.parametrize(
    ("components", "allowed"),
    [([], SETTINGS), ([METRICS], SETTINGS | METRICS_SETTINGS)],
    ids=["base", "base+metrics"],
)
def test_every_environment_variable_is_a_setting(components: list[Path], allowed: set[str]) -> None:
    objects = _kustomize(BASE, components) if _has_kustomize() else _files(BASE, components)
    for item in objects:
        if item["kind"] in ("Deployment", "Job"):
            for container in _containers(item):
                unknown = set(_environment(objects, container)) - allowed
                assert not unknown, f"{item['metadata']['name']}/{container['name']}: {unknown}"


def test_the_settings_config_map_reads_as_settings(base: list[Manifest]) -> None:
    values = _data(_one(base, "ConfigMap", "mfa-helpdesk-settings"))
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in values.items()})  # type: ignore[call-arg]
    assert settings.migrate_on_start is False  # the Job migrates, never a replica
    assert settings.port == 3000


def test_the_secrets_hold_placeholders_only(with_metrics: list[Manifest]) -> None:
    secrets = [o for o in with_metrics if o["kind"] == "Secret"]
    assert len(secrets) == 3
    for secret in secrets:
        for key, value in _data(secret).items():
            assert PLACEHOLDER.search(value), f"{secret['metadata']['name']}: {key} looks real"
    for path in DEPLOY.glob("*.env.example"):
        for key, value in _env_file(path).items():
            if "PASSWORD" in key or "TOKEN" in key or "SECRET" in key or key == "STEPUP_KEY":
                assert PLACEHOLDER.search(value), f"{path.name}: {key} looks real"


def test_the_owners_url_reaches_the_migration_job_and_no_replica(base: list[Manifest]) -> None:
    serving = _environment(base, _pod(_one(base, "Deployment"))["containers"][0])
    assert "DATABASE_URL" in serving
    assert "MIGRATION_DATABASE_URL" not in serving
    job = _one(base, "Job")
    commands = [container["args"] for container in _containers(job)]
    assert commands[0] == ["migrate"]
    assert commands[1][0] == "grant-runtime-role"
    for container in _containers(job):
        assert set(_environment(base, container)) == {"MIGRATION_DATABASE_URL"}
    # The role granted is the one the replicas log in as.
    assert urlsplit(serving["DATABASE_URL"]).username == commands[1][1]


def test_the_pods_run_as_nobody_in_particular_on_a_read_only_root(base: list[Manifest]) -> None:
    for item in (_one(base, "Deployment"), _one(base, "Job")):
        pod = _pod(item)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["automountServiceAccountToken"] is False
        for container in _containers(item):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert "memory" in container["resources"]["limits"]


def test_the_grace_period_covers_the_pause_and_the_shutdown_timeout(
    base: list[Manifest],
) -> None:
    deployment = _one(base, "Deployment")
    (container,) = _pod(deployment)["containers"]
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    timeout = Settings(shutdown_timeout=_environment(base, container)["SHUTDOWN_TIMEOUT"])
    grace = _pod(deployment)["terminationGracePeriodSeconds"]
    assert pause + timeout.shutdown_timeout.total_seconds() < grace


def test_the_service_and_budget_select_the_replicas_and_not_the_job(
    base: list[Manifest],
) -> None:
    replicas = _one(base, "Deployment")["spec"]["template"]
    job_pod = _one(base, "Job")["spec"]["template"]
    selectors = [
        _one(base, "Service")["spec"]["selector"],
        _one(base, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        _one(base, "Deployment")["spec"]["selector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= replicas["metadata"]["labels"].items()
        assert not selector.items() <= job_pod["metadata"]["labels"].items()
    assert _one(base, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_three_replicas_in_a_roll_fit_postgresql_default_connection_limit(
    base: list[Manifest],
) -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connects
    pool = cast(Any, engine.pool)
    per_replica = pool.size() + pool._max_overflow
    deployment = _one(base, "Deployment")
    surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    pods = deployment["spec"]["replicas"] + surge
    migration = 1  # the Job: one engine, one connection at a time
    assert deployment["spec"]["replicas"] == 3
    assert pods * per_replica + migration <= POSTGRES_MAX_CONNECTIONS - POSTGRES_RESERVED, (
        f"{pods} pods x {per_replica} connections: update docs/deploy.md 'Sizing'"
    )
    assert f"{per_replica} connections" in (ROOT / "docs" / "deploy.md").read_text()


@pytest.mark.skipif(not _has_kustomize(), reason="the component's patch needs Kustomize")
def test_the_service_monitor_scrapes_the_services_port_with_the_replicas_token(
    with_metrics: list[Manifest],
) -> None:
    monitor = _one(with_metrics, "ServiceMonitor")
    service = _one(with_metrics, "Service")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    credentials = endpoint["authorization"]["credentials"]
    secret = _one(with_metrics, "Secret", credentials["name"])
    assert secret["metadata"]["name"] == credentials["name"]  # no hash: the CRD is not rewritten
    assert credentials["key"] in _data(secret)
    (container,) = _pod(_one(with_metrics, "Deployment"))["containers"]
    token = next(v for v in container["env"] if v["name"] == "METRICS_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == credentials


def test_the_compose_file_migrates_as_the_owner_before_the_bot_serves() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services.keys() == {"db", "migrate", "bot"}
    assert services["db"]["image"] == "postgres:16"
    migrate, bot = services["migrate"], services["bot"]
    script = " ".join(migrate["entrypoint"])
    assert "mfa-helpdesk migrate && mfa-helpdesk grant-runtime-role mfa_helpdesk_app" in script
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["command"] == ["serve"]
    assert READY_PATH in " ".join(bot["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    env_files = {name: [f["path"] for f in services[name]["env_file"]] for name in services}
    assert env_files == {"db": ["postgres.env"], "migrate": ["migrate.env"], "bot": ["app.env"]}
    for name in ("migrate", "bot"):
        keys = set(_env_file(DEPLOY / f"{env_files[name][0]}.example")) | set(
            services[name].get("environment", {})
        )
        assert keys <= SETTINGS, keys - SETTINGS
    app_env = _env_file(DEPLOY / "app.env.example")
    assert "MIGRATION_DATABASE_URL" not in app_env
    assert urlsplit(app_env["DATABASE_URL"]).username == "mfa_helpdesk_app"
    assert (
        "CREATE ROLE mfa_helpdesk_app LOGIN"
        in (DEPLOY / "postgres" / "10-runtime-role.sh").read_text()
    )
    assert (DEPLOY / "postgres" / "10-runtime-role.sh").stat().st_mode & 0o111


def test_the_dockerfile_runs_the_command_as_a_user_and_checks_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert stages == ["python:3.12-slim", "python:3.12-slim"]
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER 10001", final, re.MULTILINE)
    assert 'ENTRYPOINT ["mfa-helpdesk"]' in final
    assert 'CMD ["serve"]' in final
    assert HEALTH_PATH in final.split("HEALTHCHECK", 1)[1]
    assert "gcc" not in dockerfile
    assert "build-essential" not in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored.index("**") < ignored.index("!bot/")  # everything out unless named
    assert "**/*.env" in ignored


def _docker_works() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    probe = subprocess.run(  # noqa: S603 - the local docker client
        [docker, "info"], capture_output=True, check=False, timeout=20
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _docker_works(), reason="no container engine answers here (docker info)")
def test_the_image_builds_and_knows_its_commands() -> None:
    docker = str(shutil.which("docker"))
    tag = f"mfa-helpdesk-test:{uuid.uuid4().hex[:8]}"
    built = subprocess.run(  # noqa: S603
        [docker, "build", "-t", tag, str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    try:
        helped = subprocess.run(  # noqa: S603
            [docker, "run", "--rm", "--read-only", tag, "--help"],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert helped.returncode == 0, helped.stderr
        assert "migrate" in helped.stdout
        assert "serve" in helped.stdout
        user = subprocess.run(  # noqa: S603
            [docker, "image", "inspect", "-f", "{{.Config.User}}", tag],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        assert user.stdout.strip() == "10001:10001"
    finally:
        subprocess.run([docker, "image", "rm", "-f", tag], capture_output=True, check=False)  # noqa: S603


@dataclass(frozen=True)
class Cluster:
    """A database of its own and a login role for the replicas, on the test's PostgreSQL."""

    owner_url: str
    runtime_url: str
    role: str


@pytest.fixture
async def cluster(postgres_url: str | None) -> AsyncIterator[Cluster]:
    if postgres_url is None:
        pytest.skip("needs PostgreSQL: the Job's roles and grants")
    suffix = uuid.uuid4().hex[:10]
    name, role = f"mfa_deploy_{suffix}", f"mfa_helpdesk_app_{suffix}"
    dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        base_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        host = base_url.rsplit("@", 1)[1]
        yield Cluster(f"{base_url}/{name}", f"postgresql+asyncpg://{role}@{host}/{name}", role)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


def _run_container(
    container: Manifest, env: dict[str, str], cwd: Path, replace: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The container's args as the image's entrypoint runs them, here with this interpreter."""
    args = [replace.get(arg, arg) for arg in container["args"]]
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(cwd), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_manifests_commands_migrate_grant_then_serve_the_probes(
    base: list[Manifest], cluster: Cluster, tmp_path: Path
) -> None:
    """The Job's containers and the Deployment's, in order, with the environments the
    manifests give them (the database URLs pointed at the test's PostgreSQL, Slack faked)."""
    deployment, job = _one(base, "Deployment"), _one(base, "Job")
    (server,) = _pod(deployment)["containers"]
    granted_role = _containers(job)[1]["args"][1]
    with fake_slack_in_a_thread() as fake:
        serving = _environment(base, server) | {
            "DATABASE_URL": cluster.runtime_url,
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_API_URL": fake.base_url,
            "HOST": "127.0.0.1",
            "PORT": str(_free_port()),
        }
        # Before the Job, a replica refuses the empty schema and names the command to run.
        early = _run_container(server, serving, tmp_path, {})
        assert early.returncode == 2, early.stderr
        assert "mfa-helpdesk migrate" in early.stderr

        for container in _containers(job):
            env = _environment(base, container) | {"MIGRATION_DATABASE_URL": cluster.owner_url}
            done = _run_container(container, env, tmp_path, {granted_role: cluster.role})
            assert done.returncode == 0, done.stderr
        assert f"GRANT SELECT, INSERT ON audit_log TO {cluster.role};" in done.stdout

        _serve_and_probe(server, serving, tmp_path, _pod(deployment))


def _serve_and_probe(server: Manifest, env: dict[str, str], cwd: Path, pod: Manifest) -> None:
    """Start the Deployment's container, ask each of its probes, stop it as Kubernetes does."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *server["args"]],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(cwd), **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answers = {
            probe: _get_when_up(
                f"http://127.0.0.1:{env['PORT']}{server[probe]['httpGet']['path']}",
                process,
                started,
            )
            for probe in ("startupProbe", "livenessProbe", "readinessProbe")
        }
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=pod["terminationGracePeriodSeconds"])
    assert answers["readinessProbe"] == '{"status": "ready", "database": "up"}'
    assert answers["livenessProbe"] == '{"status": "ok", "database": "up", "background": 0}'
    assert process.returncode == 0, stderr


def test_the_bot_imports_without_the_graph_sdk_the_image_removes(tmp_path: Path) -> None:
    """The Dockerfile's own import check, with msgraph unimportable as in the image."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip uninstall --yes msgraph-sdk" in dockerfile
    check = re.search(r'python -P -c "([^"]+)"', dockerfile)
    assert check is not None
    blocked = "import sys; sys.modules['msgraph'] = None; "  # None: `import msgraph` fails
    result = subprocess.run(  # noqa: S603 - our own interpreter and modules
        [sys.executable, "-P", "-c", blocked + check.group(1) + "; print(len(sys.modules))"],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout) > 500  # the whole bot was imported, not nothing


def test_the_job_applies_alone_with_the_migrate_label(base: list[Manifest]) -> None:
    _job_applies_alone(base)


def _job_applies_alone(objects: list[Manifest]) -> None:
    """docs/deploy.md applies `-l app.kubernetes.io/component=migrate` before the rest: all
    the Job refers to must come with it."""
    selected = [
        o
        for o in objects
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "migrate"
    ]
    assert sorted(o["kind"] for o in selected) == ["Job", "Secret"]
    job = _one(selected, "Job")
    assert "serviceAccountName" not in _pod(job)
    for container in _containers(job):
        assert _environment(selected, container)  # raises StopIteration for a missing source


@pytest.mark.skipif(not _has_kustomize(), reason="no kubectl or kustomize here")
@pytest.mark.parametrize("metrics", [False, True], ids=["overlay", "overlay+metrics"])
def test_the_overlay_in_docs_deploy_renders_and_validates(tmp_path: Path, metrics: bool) -> None:
    """docs/deploy.md's overlay, next to a checkout, with its two secret files filled in."""
    docs = (ROOT / "docs" / "deploy.md").read_text()
    found = re.search(r"```yaml\n(# my-deployment/kustomization\.yaml\n.*?)```", docs, re.DOTALL)
    assert found is not None
    overlay = found.group(1)
    if metrics:
        overlay = overlay.replace("# components:", "components:").replace("#   - ../", "  - ../")
    (tmp_path / "mfa-helpdesk").symlink_to(ROOT)
    folder = tmp_path / "my-deployment"
    folder.mkdir()
    (folder / "kustomization.yaml").write_text(overlay)
    (folder / "app-secrets.env").write_text(
        "DATABASE_URL=postgresql+asyncpg://mfa_helpdesk_app:s3cret@db/mfa_helpdesk\n"
        "SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=signing\nSTEPUP_KEY=key\n"
    )
    (folder / "migrate-secrets.env").write_text(
        "MIGRATION_DATABASE_URL=postgresql+asyncpg://mfa_owner:0wner@db/mfa_helpdesk\n"
    )
    command = (
        [str(shutil.which("kubectl")), "kustomize"]
        if shutil.which("kubectl")
        else [str(shutil.which("kustomize")), "build"]
    )
    result = subprocess.run(  # noqa: S603 - a local binary on our own files
        [*command, str(folder)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert ("ServiceMonitor" in {o["kind"] for o in objects}) is metrics
    for item in objects:
        assert item["metadata"]["namespace"] == "mfa-helpdesk"
        if item["kind"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(item, KUBERNETES_VERSIONS[-1], strict=True)
    (server,) = _pod(_one(objects, "Deployment"))["containers"]
    assert server["image"] == "registry.example.com/mfa-helpdesk:0.1.0"
    serving = _environment(objects, server)
    assert serving["HELPDESK_CHANNEL"] == "C0123456789"
    assert serving["MIGRATE_ON_START"] == "false"  # merged into the base's, not replacing it
    assert serving["DATABASE_URL"].endswith(":s3cret@db/mfa_helpdesk")
    assert "MIGRATION_DATABASE_URL" not in serving
    _job_applies_alone(objects)


def _served_series() -> set[str]:
    """Every series name GET /metrics can show (counters' _total, histograms' _bucket, ...)."""
    from bot.metrics import Metrics

    metrics = Metrics()
    metrics.help_requests.labels("open").set(0)  # a labelled family shows samples once used
    names = set()
    for family in metrics.registry.collect():
        names.add(family.name)
        names.update(f"{family.name}{suffix}" for suffix in ("_total", "_bucket", "_count", "_sum"))
    return names


def test_the_grafana_dashboard_and_the_alerts_ask_only_for_series_the_bot_serves() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "mfa-helpdesk.json").read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(expressions) >= 10
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    guide = (ROOT / "docs" / "deploy.md").read_text().splitlines()
    alerts = "\n".join(line for line in guide if "expr:" in line)  # the example alert rules
    asked = set(re.findall(r"mfa_helpdesk_[a-z_]+", " ".join(expressions) + alerts))
    served = _served_series()
    assert asked, "no series found"
    assert asked <= served, asked - served
    # Every panel reads through the dashboard's data source variable, never a fixed one.
    assert all(panel["datasource"]["uid"] == "${datasource}" for panel in dashboard["panels"])
