"""Makes a parsed guide file the guide shown: {variables} filled in, links checked."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping

from bot.domain import markup
from bot.domain.guide import Guide

_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/[^\s<>|]*)?$")


def with_variables(guide: Guide, overrides: Mapping[str, str]) -> Guide:
    """A copy whose text has every {variable} filled in; ValueError naming an unknown one."""
    values = {**guide.variables, **overrides}
    data = guide.model_dump()
    for t_index, topic in enumerate(data["topics"]):
        for field_name in ("title", "button", "summary"):
            topic[field_name] = _fill(topic[field_name], values, f"topics[{t_index}].{field_name}")
        if topic["worked"] is not None:
            where = f"topics[{t_index}].worked.text"
            topic["worked"]["text"] = _fill(topic["worked"]["text"], values, where)
        for s_index, step in enumerate(topic["steps"]):
            here = f"topics[{t_index}].steps[{s_index}]"
            step["text"] = _fill(step["text"], values, f"{here}.text")
            if step["picture"] is not None:
                _fill_picture(step["picture"], values, f"{here}.picture")
            for l_index, link in enumerate(step["links"]):
                for key in ("label", "url"):
                    link[key] = _fill(link[key], values, f"{here}.links[{l_index}].{key}")
            for c_index, choice in enumerate(step["choices"]):
                choice["label"] = _fill(choice["label"], values, f"{here}.choices[{c_index}].label")
    for name, text in data["texts"].items():
        data["texts"][name] = _fill(text, values, f"texts.{name}")
    return Guide.model_validate(data)


def check_links(guide: Guide) -> None:
    """Raise ValueError naming the field of the first link that is not a valid https URL."""
    for where, url in _links(guide):
        if not _HTTPS_URL.match(url):
            raise ValueError(f"{where}: {url!r} is not a valid https URL")


def _links(guide: Guide) -> Iterator[tuple[str, str]]:
    """Every link of the guide, in its text or as a button, with the field it is in."""
    for t_index, topic in enumerate(guide.topics):
        for s_index, step in enumerate(topic.steps):
            here = f"topics[{t_index}].steps[{s_index}]"
            yield from ((f"{here}.text", url) for url in markup.links(step.text))
            for l_index, link in enumerate(step.links):
                yield f"{here}.links[{l_index}].url", link.url
        yield from ((f"topics[{t_index}].summary", url) for url in markup.links(topic.summary))
        if topic.worked is not None:
            where = f"topics[{t_index}].worked.text"
            yield from ((where, url) for url in markup.links(topic.worked.text))
    for name, text in guide.texts.model_dump(exclude={"menu_header"}).items():
        yield from ((f"texts.{name}", url) for url in markup.links(text))


def _fill_picture(picture: dict[str, str | None], values: Mapping[str, str], where: str) -> None:
    for key in ("alt", "caption"):
        text = picture[key]
        if text is not None:
            picture[key] = _fill(text, values, f"{where}.{key}")


def _fill(text: str, values: Mapping[str, str], where: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    missing = names - values.keys()
    if missing:
        raise ValueError(f"{where}: unknown variable {{{sorted(missing)[0]}}}")
    return text.format_map(values) if names else text
