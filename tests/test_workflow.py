"""The GitHub Actions workflow runs what CI and contributors run, and publishes both editions."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def load() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))     # YAML 1.1 reads the key `on` as True
    return data


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def make_targets() -> set[str]:
    return set(re.findall(r"(?m)^([a-z][a-z-]*):", (ROOT / "Makefile").read_text()))


def test_the_workflow_is_valid_yaml_with_a_test_and_a_publish_job():
    wf = load()
    assert set(wf["jobs"]) == {"test", "binder", "min-versions", "publish"}
    assert runs(wf["jobs"]["binder"]) == ["make test-binder", "make test-assignments"]
    assert runs(wf["jobs"]["min-versions"]) == ["make test-min-versions"]
    assert "push" in wf["on"] and "pull_request" in wf["on"]
    for job in wf["jobs"].values():
        assert job["runs-on"].startswith("ubuntu-")
        assert all("uses" in s or "run" in s for s in job["steps"])


def test_it_runs_the_same_commands_as_ci_and_the_readme():
    wf = load()
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip().startswith("make ")]
    assert ci and runs(wf["jobs"]["test"]) == ci[: len(runs(wf["jobs"]["test"]))]
    assert "make test" in (ROOT / "README.md").read_text()
    publish = runs(wf["jobs"]["publish"])
    assert "make book-lite" in publish and "make student-book" in publish
    for command in runs(wf["jobs"]["test"]) + publish:
        for line in command.splitlines():
            words = line.split()
            if words[:1] != ["make"]:
                continue
            for target in (w for w in words[1:] if not w.startswith("-") and "=" not in w):
                assert target in make_targets(), f"the workflow runs an unknown target: make {target}"


def test_python_matches_runtime_txt():
    version = (ROOT / "runtime.txt").read_text().strip().removeprefix("python-")
    for job in load()["jobs"].values():
        setup = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")]
        assert setup and str(setup[0]["with"]["python-version"]) == version


def test_publishing_only_from_main_after_the_tests_with_both_editions():
    wf = load()
    pub = wf["jobs"]["publish"]
    assert set(pub["needs"]) == {"test", "binder", "min-versions"}
    assert "refs/heads/main" in pub["if"] and "push" in pub["if"]
    assert pub["permissions"] == {"pages": "write", "id-token": "write"}
    script = "\n".join(runs(pub))
    assert "_build/html/. site/" in script and "_build/student/_build/html/. site/student/" in script
    upload = [s for s in pub["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert upload and upload[0]["with"]["path"] == "site"
    assert pub["steps"][-1]["uses"].startswith("actions/deploy-pages@")
    # the student edition is where the Makefile puts it
    assert "_build/student" in (ROOT / "scripts" / "assignments.py").read_text()
