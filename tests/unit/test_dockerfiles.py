"""Static checks of the images we ship (they cannot be built in CI here): pinned bases, non-root numeric
USER in the final stage, every COPY source present, an entrypoint."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = ["operator/Dockerfile", "operator/Dockerfile.serving", "examples/trainers/Dockerfile"]
PINNED = re.compile(r"^[\w./-]+(:[\w.-]*\d+\.\d+\.\d+[\w.-]*)?(@sha256:[a-f0-9]{64})?$")


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage(instrs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (word, _) in enumerate(instrs) if word == "FROM"]
    return instrs[starts[-1]:]


@pytest.fixture(params=DOCKERFILES)
def dockerfile(request: pytest.FixtureRequest) -> list[tuple[str, str]]:
    path = ROOT / request.param
    assert path.exists(), f"{request.param} is missing"
    return instructions(path)


def test_every_base_is_pinned(dockerfile: list[tuple[str, str]]) -> None:
    stages = {args.split()[-1] for word, args in dockerfile if word == "FROM" and " AS " in args.upper()}
    for word, args in dockerfile:
        if word == "FROM":
            image = args.split()[0]
            assert image in stages or (PINNED.match(image) and (":" in image or "@" in image)), image


def test_final_stage_runs_as_numeric_non_root(dockerfile: list[tuple[str, str]]) -> None:
    users = [args for word, args in final_stage(dockerfile) if word == "USER"]
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, users[-1]


def test_final_stage_has_no_build_tools(dockerfile: list[tuple[str, str]]) -> None:
    runs = " ".join(args for word, args in final_stage(dockerfile) if word == "RUN")
    assert not re.search(r"\b(gcc|g\+\+|make|build-essential|apt-get install)\b", runs)


def test_entrypoint_or_cmd(dockerfile: list[tuple[str, str]]) -> None:
    assert any(word in ("ENTRYPOINT", "CMD") for word, _ in final_stage(dockerfile))


def test_copy_sources_exist(dockerfile: list[tuple[str, str]]) -> None:
    for word, args in dockerfile:
        if word not in ("COPY", "ADD") or "--from=" in args:
            continue
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        for source in parts[:-1]:
            assert list(ROOT.glob(source)), f"COPY source {source} does not exist"
