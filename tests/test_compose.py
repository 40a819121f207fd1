"""Static checks of the container deployment: docker-compose.yml, deploy/Dockerfile and deploy/k8s/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from rvi_shared.events.registry import TOPICS, dlq_topic

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
K8S_DIR = ROOT / "deploy" / "k8s"

APP_SERVICES: dict[str, int] = {"eligibility": 8001, "scheduling": 8002, "video-gateway": 8003, "documents": 8004}
INFRA_SERVICES = ("kafka", "kafka-init", "postgres")
ALL_TOPICS = {*TOPICS, *(dlq_topic(topic) for topic in TOPICS)}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def k8s_docs() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S_DIR.rglob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


def env_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def with_defaults(value: object) -> str:
    """What compose makes of `${NAME:-default}` when NAME is not set."""
    return re.sub(r"\$\{[A-Z0-9_]+:?-([^}]*)\}", r"\1", str(value))


def published_host_ports(service: dict[str, Any]) -> dict[int, int]:
    """host port → container port, for the short and the long port syntax."""
    mapping: dict[int, int] = {}
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            if "published" in port:
                mapping[int(with_defaults(port["published"]))] = int(port["target"])
            continue
        parts = with_defaults(port).split("/")[0].split(":")
        if len(parts) >= 2:
            mapping[int(parts[-2])] = int(parts[-1])
    return mapping


def test_compose_has_no_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose


def test_all_services_present(services: dict[str, dict[str, Any]]) -> None:
    assert set(INFRA_SERVICES) | set(APP_SERVICES) <= set(services)


def test_kafka_is_apache_kafka_in_kraft_mode(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka")
    env = env_of(kafka)
    assert "controller" in env["KAFKA_PROCESS_ROLES"].split(",")
    assert "broker" in env["KAFKA_PROCESS_ROLES"].split(",")
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert not [name for name in services if "zookeeper" in name.lower()]
    assert not [key for key in env if "ZOOKEEPER" in key]


def test_kafka_is_reachable_from_the_host_through_its_external_listener(
    services: dict[str, dict[str, Any]],
) -> None:
    kafka = services["kafka"]
    env = env_of(kafka)
    assert "localhost:29092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert published_host_ports(kafka) == {29092: 29092}


def test_postgres_is_version_16(services: dict[str, dict[str, Any]]) -> None:
    image = services["postgres"]["image"]
    name, _, tag = image.partition(":")
    assert name.split("/")[-1] == "postgres"
    assert tag.split(".")[0].split("-")[0] == "16"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_service_builds_from_the_shared_dockerfile(services: dict[str, dict[str, Any]], name: str) -> None:
    build = services[name]["build"]
    assert (ROOT / build["context"]).resolve() == ROOT
    assert build["dockerfile"] == "deploy/Dockerfile"
    args = build["args"]
    assert args["SERVICE"] == name
    module = args["MODULE"]
    assert module == "rvi_" + name.replace("-", "_")
    assert (ROOT / "services" / name / "src" / module).is_dir()
    assert int(args["PORT"]) == APP_SERVICES[name]


def test_published_ports_map_to_the_right_services(services: dict[str, dict[str, Any]]) -> None:
    owners: dict[int, str] = {}
    for name, service in services.items():
        for host_port, container_port in published_host_ports(service).items():
            assert host_port not in owners, f"host port {host_port} published twice"
            owners[host_port] = name
            if name in APP_SERVICES:
                assert container_port == APP_SERVICES[name]
    assert owners[8001] == "eligibility"
    assert owners[8002] == "scheduling"
    assert owners[8004] == "documents"


def test_video_gateway_runs_two_replicas_without_a_fixed_host_port(
    services: dict[str, dict[str, Any]],
) -> None:
    gateway = services["video-gateway"]
    assert gateway["deploy"]["replicas"] == 2
    assert not gateway.get("ports")
    assert "container_name" not in gateway
    assert [int(port) for port in gateway["expose"]] == [8003]
    assert env_of(gateway)["RVI_VIDEO_GATEWAY_PORT"] == "8003"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_service_waits_for_postgres_and_topics(services: dict[str, dict[str, Any]], name: str) -> None:
    depends_on = services[name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["kafka-init"]["condition"] == "service_completed_successfully"


def test_kafka_init_waits_for_a_healthy_broker(services: dict[str, dict[str, Any]]) -> None:
    assert services["kafka-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["kafka-init"]["image"] == services["kafka"]["image"]


def test_every_long_running_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name == "kafka-init":
            continue
        healthcheck = service.get("healthcheck")
        assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name} disables its healthcheck"
    assert "kafka-broker-api-versions.sh" in str(services["kafka"]["healthcheck"]["test"])
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    for name in APP_SERVICES:
        assert "/healthz" in str(services[name]["healthcheck"]["test"])


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_service_points_at_the_compose_hosts(services: dict[str, dict[str, Any]], name: str) -> None:
    env = env_of(services[name])
    database_url = env["RVI_DATABASE_URL"]
    assert database_url.startswith(("postgresql+asyncpg://", "postgresql://", "postgres://"))
    assert re.search(r"@postgres(:5432)?/", database_url), database_url
    assert env["RVI_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["RVI_HOST"] == "0.0.0.0"
    assert env["RVI_JWT_SECRET"].startswith("${RVI_JWT_SECRET:-")


def test_jwt_secret_comes_from_the_environment_with_a_long_enough_local_default(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        secret = env_of(services[name])["RVI_JWT_SECRET"]
        assert re.fullmatch(r"\$\{RVI_JWT_SECRET:-[^}]+\}", secret), secret
        assert len(with_defaults(secret).encode()) >= 32, "HS256 keys shorter than 32 bytes draw warnings"


def test_kafka_init_creates_every_topic_and_its_dlq(services: dict[str, dict[str, Any]]) -> None:
    init = services["kafka-init"]
    env = env_of(init)
    created = set(env["RVI_TOPICS"].split())
    assert ALL_TOPICS <= created
    script = "\n".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "kafka-topics.sh" in script
    assert "--create" in script and "--if-not-exists" in script
    assert "$$RVI_TOPICS" in script, "compose would interpolate a single $"
    assert env["RVI_TOPIC_PARTITIONS"] == "6"


def test_dockerfile_is_multi_stage_and_parameterised() -> None:
    text = DOCKERFILE.read_text()
    from_lines = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(from_lines) >= 2
    assert any("python:3.11-slim" in line for line in text.splitlines() if line.startswith("ARG PYTHON_IMAGE"))
    assert re.search(r"^ARG SERVICE\b", text, re.MULTILINE)
    assert re.search(r"^ARG MODULE\b", text, re.MULTILINE)
    assert "ghcr.io/astral-sh/uv:" in text
    assert re.search(r'uv sync --frozen --no-dev --package "?rvi-\$\{SERVICE\}', text)
    assert re.search(r"^USER (?!root)\S+", text, re.MULTILINE)
    assert re.search(r"^ENV[\s\S]*RVI_HOST=0\.0\.0\.0", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK\b[\s\S]*urllib[\s\S]*/healthz", text, re.MULTILINE)
    assert 'CMD ["sh", "-c", "exec python -m \\"$RVI_MODULE\\""]' in text


def test_dockerignore_sits_at_the_build_context_root() -> None:
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for required in (".venv", ".git", ".rvi", "bench/results"):
        assert required in patterns
    assert {"**/__pycache__", "**/.pytest_cache"} <= patterns


def test_k8s_docs_have_api_version_and_kind(k8s_docs: list[tuple[str, dict[str, Any]]]) -> None:
    assert k8s_docs
    for filename, doc in k8s_docs:
        assert doc.get("apiVersion"), filename
        assert doc.get("kind"), filename
        assert doc.get("metadata", {}).get("name"), filename


def test_k8s_has_a_deployment_and_service_per_app_service(k8s_docs: list[tuple[str, dict[str, Any]]]) -> None:
    deployments = {doc["metadata"]["name"]: doc for _, doc in k8s_docs if doc["kind"] == "Deployment"}
    services = {doc["metadata"]["name"] for _, doc in k8s_docs if doc["kind"] == "Service"}
    assert set(APP_SERVICES) <= set(deployments)
    assert set(APP_SERVICES) <= services
    assert deployments["video-gateway"]["spec"]["replicas"] == 2
    for name, port in APP_SERVICES.items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert [p["containerPort"] for p in container["ports"]] == [port]
        sources = {next(iter(source.values()))["name"] for source in container["envFrom"]}
        assert {"rvi-config", "rvi-secrets"} <= sources


def test_k8s_runs_kafka_in_kraft_mode_with_strimzi(k8s_docs: list[tuple[str, dict[str, Any]]]) -> None:
    kafkas = [doc for _, doc in k8s_docs if doc["kind"] == "Kafka"]
    pools = [doc for _, doc in k8s_docs if doc["kind"] == "KafkaNodePool"]
    assert len(kafkas) == 1 and pools
    (kafka,) = kafkas
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert "zookeeper" not in kafka["spec"]
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    assert {"controller", "broker"} <= roles
    for pool in pools:
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]


def test_k8s_has_a_kafka_topic_for_every_topic(k8s_docs: list[tuple[str, dict[str, Any]]]) -> None:
    topics = [doc for _, doc in k8s_docs if doc["kind"] == "KafkaTopic"]
    names = {doc["spec"].get("topicName", doc["metadata"]["name"]) for doc in topics}
    assert ALL_TOPICS <= names
    for doc in topics:
        assert doc["spec"]["partitions"] == 6


def test_gateway_evidence_is_on_a_volume_shared_by_the_replicas(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], k8s_docs: list[tuple[str, dict[str, Any]]]
) -> None:
    gateway = services["video-gateway"]
    assert env_of(gateway)["RVI_VIDEO_GATEWAY_EVIDENCE_DIR"] == "/data/evidence"
    assert "evidence:/data/evidence" in gateway["volumes"] and "evidence" in compose["volumes"]
    docs = {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in k8s_docs}
    claim = docs[("PersistentVolumeClaim", "rvi-evidence")]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    pod = docs[("Deployment", "video-gateway")]["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "evidence", "persistentVolumeClaim": {"claimName": "rvi-evidence"}}]
    assert pod["containers"][0]["volumeMounts"] == [{"name": "evidence", "mountPath": "/data/evidence"}]


def test_gateway_egress_cannot_reach_private_or_metadata_addresses(
    k8s_docs: list[tuple[str, dict[str, Any]]],
) -> None:
    """FFmpeg follows RTSP redirects past the URL check; the network closes what it could reach."""
    policy = next(doc for _, doc in k8s_docs if doc["kind"] == "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "video-gateway"}
    assert policy["spec"]["policyTypes"] == ["Egress"]
    blocks = [peer["ipBlock"] for rule in policy["spec"]["egress"] for peer in rule["to"] if "ipBlock" in peer]
    assert blocks == [
        {
            "cidr": "0.0.0.0/0",
            "except": [
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "100.64.0.0/10",
                "169.254.0.0/16",
                "127.0.0.0/8",
            ],
        }
    ]
