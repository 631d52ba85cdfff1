"""axe-core for the browser tests: injected into the page under test, never served by the app.

axe-core (npm, MPL-2.0) is kept in tests/browser/vendor/axe-core/ with its licence. Playwright's
``add_script_tag`` adds it to the page; the page's Content-Security-Policy forbids such a script,
so the contexts that run axe are opened with ``bypass_csp=True`` (``audit_context``).

GB/T 37668 follows WCAG 2.0 AA: the rules tagged wcag2a/wcag2aa (and 2.1's, which add the
phone's reflow and target rules) plus axe's best practices; a *serious* or *critical* violation
fails the run.
"""

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")

_RUN = """async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                   resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 160))}));
}"""


def violations(page) -> list[dict]:
    """Every axe violation of the page as it is now (all impacts)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN, TAGS)


def blocking(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in BLOCKING]


def describe(where: str, found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"      {node}" for node in v["nodes"])
    return "\n".join(lines)
