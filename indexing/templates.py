"""The template registry: data/templates/*.yaml (Lạng Sơn HD 291, TT 18/2013, BCMT, SKKN), their sections
and the aliases headings are matched with. Aliases are compared on a folded key (`indexing.text.fold`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from indexing.errors import SangkienError
from indexing.text import fold


@dataclass
class SectionDef:
    kind: str
    name: str  # Vietnamese display name, reported when the section is missing
    aliases: list[str]
    id: str = ""  # defaults to kind; `parent` refers to it
    level: int = 1
    required: bool = False
    parent: str | None = None
    keys: list[str] = field(default_factory=list, repr=False)  # folded aliases


@dataclass
class Template:
    id: str
    name: str
    version: int
    markers: list[str]
    sections: list[SectionDef]
    marker_keys: list[str] = field(default_factory=list, repr=False)
    alias_index: dict[str, SectionDef] = field(default_factory=dict, repr=False)
    fuzzy_keys: list[str] = field(default_factory=list, repr=False)  # long enough to fuzzy-match


KINDS = {
    "summary", "reason", "objective", "scope", "method", "theory", "current_state", "solution", "results",
    "discussion", "novelty", "applicability", "benefits", "conclusion", "recommendation", "references",
    "appendix", "participants", "form_field", "other",
}


def load_templates(directory: Path) -> list[Template]:
    """The templates of `directory` (Settings.templates_dir), parsed once per folder."""
    return list(_load_templates(Path(directory).resolve()))


@lru_cache(maxsize=8)
def _load_templates(directory: Path) -> tuple[Template, ...]:
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise SangkienError(f"Không tìm thấy mẫu sáng kiến nào trong thư mục {directory}.")
    return tuple(_parse_template(path) for path in files)


def _parse_template(path: Path) -> Template:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        sections = []
        for item in raw["sections"]:
            sdef = SectionDef(
                kind=item["kind"],
                name=item["name"],
                aliases=list(item.get("aliases") or [item["name"]]),
                id=item.get("id") or item["kind"],
                level=int(item.get("level", 1)),
                required=bool(item.get("required", False)),
                parent=item.get("parent"),
            )
            if sdef.kind not in KINDS:
                raise ValueError(f"loại mục không hợp lệ: {sdef.kind}")
            sdef.keys = [fold(a) for a in sdef.aliases]
            sections.append(sdef)
        markers = list(raw.get("markers") or [])
        template = Template(
            id=str(raw["id"]),
            name=raw["name"],
            version=int(raw["version"]),
            markers=markers,
            sections=sections,
            marker_keys=[fold(m) for m in markers],
        )
        template.alias_index = _alias_index(template)
        template.fuzzy_keys = [k for k in template.alias_index if " " in k and len(k) >= 8]
        return template
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise SangkienError(f"Tệp mẫu sáng kiến {path.name} không hợp lệ.", detail=str(exc)) from exc


def templates_version(directory: Path) -> str:
    """Ids and versions of the loaded templates, recorded in the index manifest: sections (and so
    passages) change when a template changes."""
    return ",".join(f"{t.id}:{t.version}" for t in sorted(load_templates(directory), key=lambda t: t.id))


def template_name(template_id: str | None, directory: Path) -> str | None:
    """The template's Vietnamese name as its YAML file gives it (None for no or an unknown template)."""
    return next((t.name for t in load_templates(directory) if t.id == template_id), None)


def _alias_index(template: Template) -> dict[str, SectionDef]:
    index: dict[str, SectionDef] = {}
    for sdef in template.sections:
        for key in sdef.keys:
            index.setdefault(key, sdef)  # on a shared alias the earlier definition wins
    return index
