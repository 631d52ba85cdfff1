"""Translation catalogs: Chinese is the source language, English the translation.

Every package keeps its own catalog in ``interaction/<package>/translations/en``
covering its Python code and its folder of templates, so features never edit
one shared file. Flask-Babel merges the catalogs (see ``core.web``).

``python -m interaction.core.i18n update [package ...]`` extracts the messages and adds new
ones to each catalog (with an empty translation to fill in); ``compile`` builds
the ``.mo`` files; ``check`` lists messages without an English translation.
"""

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
TEMPLATES = ROOT / "templates"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("**.html", "jinja2.ext:babel_extract")]
LOCALES = ("en",)


def catalogs() -> dict[str, tuple[Path, list[Path]]]:
    """Map each package to (its translations folder, the source folders it covers)."""
    result = {}
    for package in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        sources = [package]
        if (TEMPLATES / package.name).is_dir():
            sources.append(TEMPLATES / package.name)
        if package.name == "core":  # the shared layout, macros and error pages
            sources += [p for p in TEMPLATES.iterdir() if p.is_dir() and not (PACKAGE / p.name).exists()]
            sources.append(TEMPLATES)  # top-level files only, see _extract
        result[package.name] = (package / "translations", sources)
    return result


def _extract(source: Path) -> list[tuple[str, str, int]]:
    found = []
    top_level_only = source == TEMPLATES
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(source), METHODS, keywords=KEYWORDS, options_map={"**.html": {"extensions": "jinja2.ext.do"}}
    ):
        if top_level_only and "/" in filename:
            continue
        found.append((filename, message, lineno))
    return found


def _po_path(translations: Path, locale: str) -> Path:
    return translations / locale / "LC_MESSAGES" / "messages.po"


def _read(path: Path, locale: str) -> Catalog:
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale=locale)
    return Catalog(locale=locale, project="interaction-desk", fuzzy=False)


def update(only: list[str] | None = None) -> None:
    """Add newly extracted messages to each catalog (or those of *only*); drop unused ones."""
    for name, (translations, sources) in catalogs().items():
        if only and name not in only:
            continue
        messages = {}
        for source in sources:
            for filename, message, lineno in _extract(source):
                messages.setdefault(message, []).append((filename, lineno))
        if not messages and not translations.exists():
            continue
        for locale in LOCALES:
            path = _po_path(translations, locale)
            catalog = _read(path, locale)
            template = Catalog(locale=locale)
            for message, locations in messages.items():
                template.add(message, locations=locations)
            catalog.update(template, no_fuzzy_matching=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as f:
                write_po(f, catalog, width=120, omit_header=False, ignore_obsolete=True, sort_output=True)
            print(f"{name}/{locale}: {len(messages)} messages")


def compile_all() -> None:
    for _name, (translations, _sources) in catalogs().items():
        for locale in LOCALES:
            path = _po_path(translations, locale)
            if path.exists():
                with path.open("rb") as f:
                    catalog = read_po(f, locale=locale)
                with path.with_suffix(".mo").open("wb") as f:
                    write_mo(f, catalog)


def untranslated() -> list[str]:
    """Messages used in the code or templates that have no English translation."""
    missing = []
    for name, (translations, sources) in catalogs().items():
        messages = {message: f"{filename}:{lineno}" for source in sources
                    for filename, message, lineno in _extract(source)}
        for locale in LOCALES:
            catalog = _read(_po_path(translations, locale), locale)
            for message, where in messages.items():
                key = message if isinstance(message, str) else message[0]
                entry = catalog.get(key)
                if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
                    missing.append(f"{name}/{locale}: {key!r} ({where})")
    return missing


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "update":
        update(argv[1:])
    elif command == "compile":
        compile_all()
    elif command == "check":
        missing = untranslated()
        print("\n".join(missing) or "every message has a translation")
        return 1 if missing else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
