"""Loads the guide shipped in this package, or the operator's GUIDE_FILE, and validates it."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.domain import markup
from bot.domain.guide import Guide
from bot.guide.prepare import check_links, with_variables
from bot.settings import DEFAULT_APP_PASSWORDS_URL, DEFAULT_MANAGE_SETTINGS_URL, Settings

DEFAULT_GUIDE = Path(__file__).with_name("en.yaml")
# The guide's pictures are the bot's own files, served by its HTTP server (see bot.web).
PICTURES = Path(__file__).with_name("pictures")
DEFAULT_VARIABLES = {
    "manage_settings_url": DEFAULT_MANAGE_SETTINGS_URL,
    "app_passwords_url": DEFAULT_APP_PASSWORDS_URL,
    "it_contact": "your IT department",
    # The end of the sentence that sends a person to IT: how to reach them, when IT_CONTACT says.
    "it_reach": "",
}

PICTURES_PATH = "/guide/pictures"

# libyaml's safe loader when PyYAML has it: the guide's phrases and words make the file long.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What a front end the guide is shown on finds wrong with it ("field: why"), such as Slack's
# text limits, which apply to the text as written for Slack and so are Slack's to check; the
# composition root passes the checks of the front ends it serves.
GuideCheck = Callable[[Guide], list[str]]


class GuideError(Exception):
    """The guide file is unusable; the message names the file, the field and the problem."""


def load_guide(
    path: Path | None = None,
    variables: Mapping[str, str] | None = None,
    checks: Sequence[GuideCheck] = (),
) -> Guide:
    """Read, validate and fill in the guide, and check it fits every front end; raise GuideError
    naming the file, the field and what is wrong."""
    source = path or DEFAULT_GUIDE
    try:
        raw = yaml.load(source.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - safe
    except OSError as exc:
        raise GuideError(f"{source}: cannot read the guide file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise GuideError(f"{source}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise GuideError(f"{source}: the guide must be a mapping with 'topics', 'texts', ...")
    try:
        parsed = Guide.model_validate(raw)
        guide = with_variables(parsed, {**DEFAULT_VARIABLES, **(variables or {})})
        check_links(guide)
    except ValidationError as exc:
        raise GuideError(f"{source}: {_problem(exc.errors()[0])}") from exc
    except ValueError as exc:
        raise GuideError(f"{source}: {exc}") from exc
    missing = _missing_pictures(guide)
    if missing:
        raise GuideError(f"{source}: {missing}")
    problems = [problem for check in checks for problem in check(guide)]
    if problems:
        raise GuideError(f"{source}: {problems[0]}")
    return guide


def _missing_pictures(guide: Guide) -> str | None:
    """ "field: why" for the first step whose picture is not one of the bot's pictures."""
    for t_index, topic in enumerate(guide.topics):
        for s_index, step in enumerate(topic.steps):
            if step.picture is not None and not (PICTURES / step.picture.file).is_file():
                where = f"topics[{t_index}].steps[{s_index}].picture.file"
                return f"{where}: no picture {step.picture.file!r} in {PICTURES}"
    return None


def picture_files() -> dict[str, bytes]:
    """The guide's pictures by file name, read once by whoever serves or embeds them."""
    return {path.name: path.read_bytes() for path in sorted(PICTURES.glob("*.png"))}


def data_uris(pictures: Mapping[str, bytes]) -> dict[str, str]:
    """Each picture as a data: URI, for a card that carries its images inline."""
    return {
        name: "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        for name, data in pictures.items()
    }


def picture_urls(public_url: str | None, pictures: Mapping[str, bytes]) -> dict[str, str]:
    """Each picture's address on the bot's own server, when the bot knows its public address."""
    if not public_url:
        return {}
    base = public_url.rstrip("/")
    return {name: f"{base}{PICTURES_PATH}/{name}" for name in pictures}


def _problem(error: ErrorDetails) -> str:
    """ "field: why" for pydantic's error; a rule of the whole guide names its field itself."""
    cause = error.get("ctx", {}).get("error")
    why = str(cause) if error["type"] == "value_error" and cause else error["msg"]
    return f"{_location(error['loc'])}: {why}" if error["loc"] else why


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        else:
            parts.append(item)
    return ".".join(parts) or "(top level)"


def guide_variables(settings: Settings) -> dict[str, str]:
    """The variables that come from settings: the organisation's links and IT contact (text typed
    by an operator, escaped so that it shows as typed rather than as markup)."""
    variables = {
        "manage_settings_url": str(settings.manage_settings_url),
        "app_passwords_url": str(settings.app_passwords_url),
    }
    if settings.it_contact:
        contact = markup.escape(settings.it_contact)
        variables |= {"it_contact": contact, "it_reach": f" Reach them at: {contact}."}
    return variables
