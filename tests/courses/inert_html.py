"""What "inert" means for sanitized HTML, checked by parsing it (text may mention anything)."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

FORBIDDEN_TAGS = {"script", "iframe", "svg", "math", "style", "object", "embed", "form", "input"}
SAFE_SCHEMES = {"", "http", "https", "mailto"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src", "xlink:href", "action", "formaction"):
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    self.problems.append(f"{tag}[{name}={value}]")


def html_problems(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    return checker.problems


# Hostile inputs every Markdown field (articles, comments, questions, answers) must neutralise.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<img src=x onerror=alert(1)>",
    "![x](javascript:alert(1))",
    '<a href="https://e.org" onclick="alert(1)">x</a>',
    "<svg onload=alert(1)><circle/></svg>",
    "<iframe src=https://evil.example></iframe>",
    "<<script>script>alert(1)<</script>/script>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](vbscript:msgbox(1))",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<p>unclosed <b>bold <i>and <a href='javascript:1'>link",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[a](<javascript:alert(1)>)",
    "# Heading\n\n![img](https://e.org/x.png)",
]
