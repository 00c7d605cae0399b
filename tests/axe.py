"""axe-core (from npm) in a Playwright page: the one WCAG 2.x A/AA check every browser test uses."""

import json
from pathlib import Path

import pytest
from django.conf import settings

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def axe_violations(page) -> list[dict]:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run 'npm ci' (axe-core is in package.json)")
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a
    # <script> tag with the source inline would be refused, as it should be).
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {AXE_JS.read_text()}\n }}")
    return page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)["violations"]


def axe_report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {json.dumps(node['target'])}: {node.get('html', '')}")
            lines.append("      " + node.get("failureSummary", "").replace("\n", "\n      "))
    return "\n".join(lines)
